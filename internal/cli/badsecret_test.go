package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pullwarden/pullwarden/internal/testimage"
	"github.com/pullwarden/pullwarden/internal/testregistry"
)

// TestBadBase64SecretIsSkipped: a secret file whose data is not base64 is
// skipped with a warning naming it; a good second --secret still pulls
// (exit 0), as the README says and as a secret with bad JSON is treated.
func TestBadBase64SecretIsSkipped(t *testing.T) {
	reg := testregistry.Start(t, testregistry.WithHtpasswd(user, password))
	testimage.Push(t, testimage.Random(t, 1, 1024), reg.Ref("team/app:1"), reg.Authenticator())
	dir := t.TempDir()
	var tr transcript
	good := tr.secret(t, dir, "regcred", reg.Host, password)
	broken := filepath.Join(dir, "broken.yaml")
	doc := "apiVersion: v1\nkind: Secret\nmetadata: {name: broken, namespace: team}\ntype: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: not%base64!\n"
	if err := os.WriteFile(broken, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := tr.run(t, "pull", reg.Ref("team/app:1"), "--store="+t.TempDir(), "-o", "json", "--secret", broken, "--secret", good)
	if code != 0 || !decodeReport(t, out).Pulled {
		t.Fatalf("exit %d: a bad secret stopped the pull\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "Warning: secret team/broken") || !strings.Contains(errOut, "not valid base64") {
		t.Fatalf("no warning naming the skipped secret:\n%s", errOut)
	}
}

package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pullwarden/pullwarden/manifest"
	"github.com/pullwarden/pullwarden/objects"
)

// A document the server refuses (here: a Secret's immutable type changed)
// leaves the documents before it unapplied: apply is one transaction.
func TestApplyIsAllOrNothingOnTheServer(t *testing.T) {
	s, server := apiFixture(t)
	ctx := t.Context()
	if err := s.Create(ctx, &corev1.Secret{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Name: "regcred", Namespace: "default"}, Type: corev1.SecretTypeOpaque}); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "all.yaml")
	if err := os.WriteFile(file, []byte(twoPods+`---
apiVersion: v1
kind: Secret
metadata: {name: regcred}
type: kubernetes.io/dockerconfigjson
data: {.dockerconfigjson: e30=}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := run(t, "apply", "-f", file, server)
	if code != 1 || out != "" || !strings.Contains(errOut, `The Secret "regcred" is invalid: type: `) {
		t.Fatalf("apply: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	pods, _, err := s.List(ctx, manifest.Pod, "")
	if err != nil || len(pods) != 0 {
		t.Fatalf("%d pods stored after a refused apply (%v): the documents before the bad one were applied", len(pods), err)
	}
	sec, err := objects.GetAs[*corev1.Secret](ctx, s, "default", "regcred")
	if err != nil || sec.Type != corev1.SecretTypeOpaque {
		t.Fatalf("secret after a refused apply: %+v %v", sec, err)
	}
}

func TestApplyOfNoObjects(t *testing.T) {
	_, server := apiFixture(t)
	file := filepath.Join(t.TempDir(), "empty.yaml")
	if err := os.WriteFile(file, []byte("# nothing\n---\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := run(t, "apply", "-f", file, server)
	if code != 1 || out != "" || errOut != "error: no objects passed to apply\n" {
		t.Fatalf("apply -f empty: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

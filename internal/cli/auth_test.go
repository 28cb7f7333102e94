package cli

import (
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/pullwarden/pullwarden/internal/testimage"
	"github.com/pullwarden/pullwarden/internal/testkube"
	"github.com/pullwarden/pullwarden/internal/testregistry"
	"github.com/pullwarden/pullwarden/internal/tokenserver"
)

const (
	user     = "alice"
	password = "s3cr3t-Pa55word"
)

// transcript collects all output of a test's commands for the leak check.
type transcript struct{ strings.Builder }

func (tr *transcript) run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	o, e, c := run(t, args...)
	tr.WriteString(o)
	tr.WriteString(e)
	return o, e, c
}

func (tr *transcript) secret(t *testing.T, dir, name, server, pass string) string {
	t.Helper()
	out, e, code := tr.run(t, "create", "secret", "docker-registry", name,
		"--docker-server="+server, "--docker-username="+user, "--docker-password="+pass, "--dry-run=client", "-o", "yaml")
	if code != 0 {
		t.Fatalf("create secret: %s", e)
	}
	path := filepath.Join(dir, name+".yaml")
	if err := os.WriteFile(path, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestPrivateRegistryFlow plays the private-registry story on a real
// docker-registry with htpasswd Basic auth, and checks that no output ever
// shows the password or the base64 auth string.
func TestPrivateRegistryFlow(t *testing.T) {
	reg := testregistry.Start(t, testregistry.WithHtpasswd(user, password))
	p, host := proxied(t, reg)
	testimage.Push(t, testimage.Random(t, 1, 2048), reg.Ref("team/app:1"), reg.Authenticator())
	image := host + "/team/app:1"
	dir := t.TempDir()
	store := "--store=" + t.TempDir()
	var tr transcript

	// No credentials: Unauthorized, honest about what 401 means. (A
	// missing --authfile is a usage error: an empty one stands for none.)
	none := filepath.Join(dir, "none.json")
	if err := os.WriteFile(none, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, code := tr.run(t, "pull", image, store, "-o", "json", "--authfile", none)
	r := decodeReport(t, out)
	if code == 0 || r.Reason != "Unauthorized" || !strings.Contains(r.Message, "no credentials were sent") {
		t.Fatalf("anonymous pull: %+v", r)
	}

	good := tr.secret(t, dir, "regcred", host, password)
	bad := tr.secret(t, dir, "oldcred", host, "wrong-"+password)

	// A wrong secret: refused, and no anonymous attempt after it.
	p.Reset()
	out, errOut, code := tr.run(t, "pull", image, store, "-o", "json", "--secret", bad, "--log-level", "debug")
	r = decodeReport(t, out)
	if code == 0 || r.Reason != "Unauthorized" || !strings.Contains(errOut, "oldcred") {
		t.Fatalf("wrong secret: %+v\n%s", r, errOut)
	}
	for _, req := range p.Requests() {
		if strings.Contains(req.Path, "/manifests/") && !req.Auth {
			t.Fatalf("anonymous manifest request after refused credentials: %+v", req)
		}
	}

	// The wrong secret first, the right one second: the second wins.
	out, errOut, code = tr.run(t, "pull", image, store, "-o", "json", "--secret", bad, "--secret", good, "--log-level", "debug")
	r = decodeReport(t, out)
	if code != 0 || !r.Pulled || !strings.Contains(r.Credential, "regcred") {
		t.Fatalf("good secret: %+v\n%s", r, errOut)
	}

	// auth check names the credentials, never shows them.
	out, _, code = tr.run(t, "auth", "check", image, "--secret", bad, "--secret", good)
	if code != 0 || !strings.Contains(out, "oldcred") || !strings.Contains(out, "refused") || !strings.Contains(out, "regcred") || !strings.Contains(out, "accepted") {
		t.Fatalf("auth check:\n%s", out)
	}

	all := tr.String()
	b64 := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
	for _, secret := range []string{password, b64, strings.TrimRight(b64, "=")} {
		// The secret manifests themselves hold the auth string; everything
		// else must not.
		rest := strings.ReplaceAll(all, readFile(t, good), "")
		rest = strings.ReplaceAll(rest, readFile(t, bad), "")
		if strings.Contains(rest, secret) {
			t.Fatalf("output contains a credential (%q)", secret[:4]+"...")
		}
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestBearerTokenPull pulls through a registry with token auth and checks
// that one token serves the whole pull.
func TestBearerTokenPull(t *testing.T) {
	ts := tokenserver.Start(t, map[string]string{user: password, "writer": "w-pass"},
		tokenserver.Grant{User: user, Repository: "team/app", Actions: []string{"pull"}},
		tokenserver.Grant{User: "writer", Repository: "team/app", Actions: []string{"pull", "push"}})
	host := ts.StartRegistry(t)
	testimage.Push(t, testimage.Random(t, 3, 1024), host+"/team/app:1", &authn.Basic{Username: "writer", Password: "w-pass"})
	before := ts.Issued()
	var tr transcript
	dir := t.TempDir()
	sec := tr.secret(t, dir, "regcred", host, password)
	out, e, code := tr.run(t, "pull", host+"/team/app:1", "--store", t.TempDir(), "--secret", sec, "-o", "json")
	if code != 0 {
		t.Fatalf("%s %s", out, e)
	}
	if n := ts.Issued() - before; n != 1 {
		t.Fatalf("the pull took %d tokens; want 1 (cached per scope)", n)
	}
	denied := tr.secret(t, dir, "denied", host, "bad")
	out, _, _ = tr.run(t, "pull", host+"/team/app:1", "--store", t.TempDir(), "--secret", denied, "-o", "json")
	if r := decodeReport(t, out); r.Reason != "Unauthorized" {
		t.Fatalf("wrong password through the token server: %+v", r)
	}
	if strings.Contains(tr.String(), password+"\n") || strings.Contains(strings.ReplaceAll(tr.String(), readFile(t, sec), ""), password) {
		t.Fatal("output contains the password")
	}
}

// TestCreateSecretMatchesKubectl compares the command's bytes with
// kubectl's for the same flags.
func TestCreateSecretMatchesKubectl(t *testing.T) {
	kubectl := testkube.Kubectl(t)
	for _, flags := range [][]string{
		{"regcred", "--docker-server=reg.example.com:5000", "--docker-username=u", "--docker-password=p@ss:word"},
		{"hub", "--docker-username=u", "--docker-password=p", "--docker-email=u@example.com", "-n", "team"},
	} {
		for _, format := range []string{"yaml", "json"} {
			args := append(append([]string{"create", "secret", "docker-registry"}, flags...), "-o", format, "--dry-run=client")
			want, err := exec.Command(kubectl, args...).Output()
			if err != nil {
				t.Fatalf("kubectl %v: %v", args, err)
			}
			got, e, code := run(t, args...)
			if code != 0 || got != string(want) {
				t.Errorf("%v:\n--- pullwarden (%d %s)\n%s--- kubectl\n%s", args, code, e, got, want)
			}
		}
	}
	_, e, code := run(t, "create", "secret", "docker-registry", "x", "--docker-password=p", "--dry-run=client")
	if code != 1 || !strings.HasPrefix(e, "error: ") {
		t.Fatalf("missing username: code %d stderr %q", code, e)
	}
}

// TestAuthCheckStopsWherePullStops: auth check runs the pull's own
// credential loop, so a failure that is not a refusal (the registry is
// down) ends it after the first credential, as it ends a pull.
func TestAuthCheckStopsWherePullStops(t *testing.T) {
	dir := t.TempDir()
	var tr transcript
	server := "127.0.0.1:1"
	s1 := tr.secret(t, dir, "one", server, "p1")
	s2 := tr.secret(t, dir, "two", server, "p2")
	out, _, _ := tr.run(t, "auth", "check", server+"/team/app:1", "--secret", s1, "--secret", s2, "-o", "json")
	if n := strings.Count(out, `"credential"`); n != 1 || !strings.Contains(out, "RegistryUnreachable") {
		t.Fatalf("auth check made %d attempts against a registry that is down, want 1 (as a pull): %s", n, out)
	}
}

package credential

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
)

// helperLoader is a loader whose helpers are looked up in dir only.
func helperLoader(dir string, env map[string]string) loader {
	return loader{
		timeout: 5 * time.Second,
		lookPath: func(name string) (string, error) {
			p := filepath.Join(dir, name)
			if _, err := os.Stat(p); err != nil {
				return "", errors.New("not found")
			}
			return p, nil
		},
		getenv:  func(k string) string { return env[k] },
		homeDir: func() (string, error) { return env["HOME"], nil },
	}
}

// writeHelper writes a docker-credential-NAME shell script into dir.
func writeHelper(t *testing.T, dir, name, script string) {
	t.Helper()
	p := filepath.Join(dir, "docker-credential-"+name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+script), 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestLoadDockerConfigAuths(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, ".docker"), 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(home, ".docker", "config.json")
	if err := os.WriteFile(path, []byte(`{"auths":{
		"https://index.docker.io/v1/":{"auth":"`+b64("hub:"+pw)+`"},
		"reg.example.com":{"username":"u","password":"p","identitytoken":"tok"},
		"bad.example.com":{"auth":"`+b64("nocolon")+`"}
	}, "HttpHeaders":{"User-Agent":"x"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	kr, warns, err := helperLoader(t.TempDir(), map[string]string{"HOME": home}).load(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != 1 || warns[0].Source != `docker config `+path+` entry "bad.example.com"` || !strings.Contains(warns[0].Message, "no colon") {
		t.Errorf("warnings %v", warns)
	}
	hub := kr.Lookup("docker.io/library/nginx")
	if len(hub) != 1 || hub[0].Username != "hub" || hub[0].Password != pw ||
		hub[0].Source != `docker config `+path+` entry "https://index.docker.io/v1/"` {
		t.Errorf("hub: %#v", hub)
	}
	reg := kr.Lookup("reg.example.com/app")
	if len(reg) != 1 || reg[0].AuthConfig != (authn.AuthConfig{Username: "u", Password: "p", IdentityToken: "tok"}) {
		t.Errorf("reg: %v", reg)
	}
}

func TestLoadDockerConfigPaths(t *testing.T) {
	t.Parallel()
	dcDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dcDir, "config.json"), []byte(`{"auths":{"dc.example.com":{"auth":"`+b64("a:b")+`"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	l := helperLoader(t.TempDir(), map[string]string{"DOCKER_CONFIG": dcDir, "HOME": t.TempDir()})
	kr, _, err := l.load(t.Context(), "")
	if err != nil || len(kr.Lookup("dc.example.com/x")) != 1 {
		t.Fatalf("DOCKER_CONFIG not used: %v", err)
	}
	// A missing file is no error and gives an empty keyring.
	for _, p := range []string{"", filepath.Join(t.TempDir(), "nope.json")} {
		kr, warns, err := helperLoader(t.TempDir(), map[string]string{"HOME": t.TempDir()}).load(t.Context(), p)
		if err != nil || len(warns) != 0 || len(kr.Lookup("docker.io/library/nginx")) != 0 {
			t.Errorf("missing %q: %v %v", p, warns, err)
		}
	}
	// Malformed and unreadable files are errors that name the file and
	// do not quote it.
	bad := writeTemp(t, "config.json", `{"auths":{"r":{"password":`+pw+`}}}`)
	for _, p := range []string{bad, t.TempDir()} {
		kr, _, err := l.load(t.Context(), p)
		if err == nil || !strings.Contains(err.Error(), p) || strings.Contains(err.Error(), pw) {
			t.Errorf("load(%q) error %v", p, err)
		}
		if kr == nil {
			t.Errorf("load(%q) returned a nil keyring", p)
		}
	}
}

func TestLoadDockerConfigHelpers(t *testing.T) {
	// Not parallel: writing a helper script while another test forks lets
	// the child inherit the open file, and exec then fails with ETXTBSY.
	bin := t.TempDir()
	seen := filepath.Join(t.TempDir(), "stdin")
	// "store": a credsStore that knows two servers.
	writeHelper(t, bin, "store", `read -r server || true
case "$1" in
list) echo '{"https://index.docker.io/v1/":"hub","store.example.com":"s","helped.example.com":"shadowed"}';;
get)
  case "$server" in
  https://index.docker.io/v1/) echo '{"ServerURL":"'"$server"'","Username":"hub","Secret":"hubpw"}';;
  store.example.com) echo '{"ServerURL":"x","Username":"<token>","Secret":"idtok"}';;
  *) echo 'credentials not found in native keychain'; exit 1;;
  esac;;
esac
`)
	// "spy" records its stdin exactly.
	writeHelper(t, bin, "spy", `cat > `+seen+`
echo '{"Username":"spyuser","Secret":"spypw"}'
`)
	writeHelper(t, bin, "broken", "echo 'the keychain is locked' ; exit 3\n")
	writeHelper(t, bin, "garbage", "echo 'not json "+pw+"'\n")
	writeHelper(t, bin, "empty", "echo 'credentials not found in native keychain'; exit 1\n")
	cfg := writeTemp(t, "config.json", `{
		"auths": {"inline.example.com": {"auth": "`+b64("ignored:when-credsStore")+`"}},
		"credsStore": "store",
		"credHelpers": {
			"helped.example.com": "spy",
			"broken.example.com": "broken",
			"garbage.example.com": "garbage",
			"missing.example.com": "nosuchhelper",
			"empty.example.com": "empty"
		}
	}`)
	kr, warns, err := helperLoader(bin, nil).load(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]authn.AuthConfig{}
	for _, img := range []string{"docker.io/library/nginx", "store.example.com/a", "helped.example.com/a", "inline.example.com/a", "empty.example.com/a"} {
		for _, c := range kr.Lookup(img) {
			got[img] = c.AuthConfig
		}
	}
	want := map[string]authn.AuthConfig{
		"docker.io/library/nginx": {Username: "hub", Password: "hubpw"},
		"store.example.com/a":     {IdentityToken: "idtok"},
		"helped.example.com/a":    {Username: "spyuser", Password: "spypw"},
	}
	if len(got) != len(want) {
		t.Errorf("got credentials for %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %+v, want %+v", k, got[k], v)
		}
	}
	if b, err := os.ReadFile(seen); err != nil || string(b) != "helped.example.com" {
		t.Errorf("helper stdin %q (%v), want the server without newline", b, err)
	}
	msgs := map[string]string{}
	for _, w := range warns {
		msgs[w.Source] = w.Message
		if strings.Contains(w.String(), pw) {
			t.Errorf("warning reveals output: %v", w)
		}
	}
	for src, msg := range map[string]string{
		`docker-credential-broken (credHelpers in docker config ` + cfg + `) entry "broken.example.com"`:        "the keychain is locked",
		`docker-credential-garbage (credHelpers in docker config ` + cfg + `) entry "garbage.example.com"`:      "not the helper JSON",
		`docker-credential-nosuchhelper (credHelpers in docker config ` + cfg + `) entry "missing.example.com"`: "not installed",
	} {
		if !strings.Contains(msgs[src], msg) {
			t.Errorf("warning for %s = %q, want it to contain %q (all: %v)", src, msgs[src], msg, warns)
		}
	}
	if len(warns) != 3 {
		t.Errorf("warnings %v, want 3", warns)
	}
}

func TestHelperTimeoutAndMissingStore(t *testing.T) {
	// Not parallel: writing a helper script while another test forks lets
	// the child inherit the open file, and exec then fails with ETXTBSY.
	bin := t.TempDir()
	writeHelper(t, bin, "hang", "exec sleep 60\n")
	cfg := writeTemp(t, "config.json", `{"credHelpers":{"slow.example.com":"hang"},"credsStore":"gone"}`)
	l := helperLoader(bin, nil)
	l.timeout = 100 * time.Millisecond
	kr, warns, err := l.load(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(kr.Lookup("slow.example.com/a")) != 0 {
		t.Error("credential from a helper that timed out")
	}
	var all []string
	for _, w := range warns {
		all = append(all, w.String())
	}
	joined := strings.Join(all, "\n")
	if !strings.Contains(joined, "docker-credential-hang get: no answer within 100ms") ||
		!strings.Contains(joined, "docker-credential-gone is not installed") {
		t.Errorf("warnings:\n%s", joined)
	}
}

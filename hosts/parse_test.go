package hosts_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pullwarden/pullwarden/hosts"
)

func TestParseFields(t *testing.T) {
	t.Parallel()
	file := filepath.Join("/etc/containerd/certs.d/docker.io", "hosts.toml")
	eps, err := hosts.Parse(file, []byte(`
server = "https://registry-1.docker.io"
ca = "root.pem"

[host."http://mirror.example:5000"]
  capabilities = ["pull", "resolve"]
  skip_verify = true
  ca = ["/abs/ca.pem", "rel/ca.pem"]
  client = [["c.cert", "c.key"], "both.pem"]
  dial_timeout = "2s"
  [host."http://mirror.example:5000".header]
    x-mirror = "yes"

[host."https://second.example/v2"]
  client = "one.pem"
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(eps) != 3 {
		t.Fatalf("%d endpoints, want 2 mirrors and the server", len(eps))
	}
	m := eps[0]
	dir := filepath.Dir(file)
	if m.String() != "http://mirror.example:5000/v2" || m.Capabilities != hosts.Pull|hosts.Resolve || !m.Mirror ||
		m.SkipVerify == nil || !*m.SkipVerify || m.DialTimeout != 2*time.Second || m.Header.Get("X-Mirror") != "yes" {
		t.Errorf("mirror: %+v", m)
	}
	if strings.Join(m.CA, " ") != "/abs/ca.pem "+filepath.Join(dir, "rel/ca.pem") {
		t.Errorf("ca: %v", m.CA)
	}
	if len(m.Client) != 2 || m.Client[0] != [2]string{filepath.Join(dir, "c.cert"), filepath.Join(dir, "c.key")} || m.Client[1] != [2]string{filepath.Join(dir, "both.pem"), ""} {
		t.Errorf("client: %v", m.Client)
	}
	if s := eps[1]; s.String() != "https://second.example/v2" || s.Capabilities != hosts.All || len(s.Client) != 1 {
		t.Errorf("second mirror: %+v", s)
	}
	if s := eps[2]; s.String() != "https://registry-1.docker.io/v2" || s.Mirror || s.CA[0] != filepath.Join(dir, "root.pem") {
		t.Errorf("server: %+v", s)
	}
}

// Errors name the file, the entry and the field.
func TestParseErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ body, want string }{
		{`[host."https://m.example"]` + "\ncapabilities = [\"pull\", \"fly\"]", `h/hosts.toml: host."https://m.example": capabilities: unknown capability "fly"`},
		{`ca = 3`, `h/hosts.toml: server: ca: want a file name or a list of them, got int64`},
		{`[host."https://m.example"]` + "\nclient = [[\"a\"]]", `client: want a [certificate, key] pair, got 1 names`},
		{`[host."https://m.example"]` + "\nheader = {x = 1}", `header.x: want a string or a list of strings, got int64`},
		{`dial_timeout = "soon"`, `server: dial_timeout: time: invalid duration`},
		{`server = "https://a b"`, `server: server: parse`},
		{`server = `, `h/hosts.toml: `},
		{`[host."a"]` + "\n" + `[host."a"]`, `h/hosts.toml`},
	} {
		_, err := hosts.Parse("h/hosts.toml", []byte(c.body))
		var pe *hosts.ParseError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want one containing %q", c.body, err, c.want)
		}
	}
}

// A directory without hosts.toml is read in Docker's certs.d layout.
func TestCertFilesLayout(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	dir := filepath.Join(root, "r.example_5000_")
	os.Mkdir(dir, 0o755)
	for _, f := range []string{"ca.crt", "client.cert", "client.key", "other.cert", "notes.txt"} {
		os.WriteFile(filepath.Join(dir, f), nil, 0o644)
	}
	eps, err := hosts.Endpoints(root, "r.example:5000")
	if err != nil {
		t.Fatal(err)
	}
	if len(eps) != 1 {
		t.Fatalf("%+v", eps)
	}
	e := eps[0]
	if e.String() != "https://r.example:5000/v2" || len(e.CA) != 1 || len(e.Client) != 2 ||
		e.Client[0] != [2]string{filepath.Join(dir, "client.cert"), filepath.Join(dir, "client.key")} ||
		e.Client[1] != [2]string{filepath.Join(dir, "other.cert"), ""} {
		t.Fatalf("%+v", e)
	}
}

// A hosts.toml that cannot be parsed is an error naming it (containerd
// logs it and silently uses the registry itself).
func TestEndpointsReportBrokenFile(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	os.Mkdir(filepath.Join(root, "docker.io"), 0o755)
	file := filepath.Join(root, "docker.io", "hosts.toml")
	os.WriteFile(file, []byte("[host.\"https://m\"]\ncapabilities = \"pull\"\n"), 0o644)
	_, err := hosts.Endpoints(root, "docker.io")
	if err == nil || !strings.Contains(err.Error(), file) {
		t.Fatalf("error %v, want one naming %s", err, file)
	}
}

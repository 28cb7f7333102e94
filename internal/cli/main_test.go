package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/pullwarden/pullwarden/internal/faultproxy"
	"github.com/pullwarden/pullwarden/internal/testregistry"
)

// envMain makes the test binary act as the pullwarden command, so that
// tests can run it as a separate process and kill it.
const envMain = "PULLWARDEN_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(envMain) == "1" {
		os.Exit(Main(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	// Hermetic node credentials: never the machine's ~/.docker/config.json.
	dir, err := os.MkdirTemp("", "pullwarden-docker-config")
	if err != nil {
		panic(err)
	}
	os.Setenv("DOCKER_CONFIG", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// run runs the command line in-process.
func run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var o, e bytes.Buffer
	code = Main(t.Context(), args, strings.NewReader(""), &o, &e)
	return o.String(), e.String(), code
}

func decodeReport(t *testing.T, stdout string) pullReport {
	t.Helper()
	var r pullReport
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, stdout)
	}
	return r
}

// proxied starts a fault proxy in front of reg and returns it with its
// host:port.
func proxied(t *testing.T, reg *testregistry.Registry) (*faultproxy.Proxy, string) {
	t.Helper()
	p, err := faultproxy.New(reg.URL)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	t.Cleanup(func() { p.Close(); srv.Close() })
	return p, strings.TrimPrefix(srv.URL, "http://")
}

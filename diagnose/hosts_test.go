package diagnose_test

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pullwarden/pullwarden/diagnose"
	"github.com/pullwarden/pullwarden/internal/testimage"
	"github.com/pullwarden/pullwarden/internal/testpki"
	"github.com/pullwarden/pullwarden/internal/testregistry"
	"github.com/pullwarden/pullwarden/registry"
)

// With the agent's hosts.toml directory, explain reaches the registry as
// the agent does: its own CA and the header it requires. Without it the
// same registry fails at the TLS step, naming the unknown authority.
func TestCheckUsesRegistryConfigPath(t *testing.T) {
	pki := t.TempDir()
	ca := testpki.NewCA(t, pki, "private-ca")
	reg := testregistry.StartInProcess(t)
	testimage.Push(t, testimage.Random(t, 1, 256), reg.Ref("team/app:v1"), nil)
	u, _ := url.Parse(reg.URL)
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Gate") != "open" {
			http.Error(w, "no gate header", http.StatusForbidden)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{ca.Server(t, "registry").TLS}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	host := srv.Listener.Addr().String()
	write := func(toml string) string {
		root := t.TempDir()
		dir := filepath.Join(root, strings.ReplaceAll(host, ":", "_")+"_")
		os.MkdirAll(dir, 0o755)
		if err := os.WriteFile(filepath.Join(dir, "hosts.toml"), []byte(toml), 0o644); err != nil {
			t.Fatal(err)
		}
		return root
	}
	server := fmt.Sprintf("server = %q\n", "https://"+host)
	header := "[header]\n  x-gate = \"open\"\n[host.\"http://127.0.0.1:1\"]\n"
	root := write(server + fmt.Sprintf("ca = %q\n", ca.File) + header)
	noCA := write(server + header)

	if res := checker().Check(t.Context(), diagnose.Request{Image: host + "/team/app:v1"}); res.Pullable {
		t.Fatal("pullable without the configuration")
	}
	c := diagnose.New(diagnose.Options{Registry: diagnose.FromClient(diagnose.NewRegistryClient(registry.Options{})), RegistryConfigPath: noCA})
	res := c.Check(t.Context(), diagnose.Request{Image: host + "/team/app:v1"})
	expectFailure(t, res, diagnose.StepTLS, "RegistryUnreachable")
	if !strings.Contains(res.Message, "unknown authority") {
		t.Errorf("without ca: %s", res.Message)
	}
	c = diagnose.New(diagnose.Options{Registry: diagnose.FromClient(diagnose.NewRegistryClient(registry.Options{})), RegistryConfigPath: root})
	res = c.Check(t.Context(), diagnose.Request{Image: host + "/team/app:v1"})
	if !res.Pullable {
		t.Fatalf("with the configuration: %s\n%s", res.Message, strings.Join(stepsText(res), "\n"))
	}
	if ev := res.Step(diagnose.StepTLS).Evidence; !strings.Contains(ev, "certificate verified") {
		t.Errorf("TLS step: %s", ev)
	}
	if ev := res.Step(diagnose.StepAPI).Evidence; !strings.Contains(ev, "mirror(s) http://127.0.0.1:1/v2 first (not checked here)") {
		t.Errorf("API step: %s", ev)
	}
}

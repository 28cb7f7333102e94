package hosts_test

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
	"sync/atomic"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/pullwarden/pullwarden/internal/testcontainerd"
	"github.com/pullwarden/pullwarden/internal/testimage"
	"github.com/pullwarden/pullwarden/internal/testpki"
	"github.com/pullwarden/pullwarden/internal/testregistry"
	"github.com/pullwarden/pullwarden/pull"
	"github.com/pullwarden/pullwarden/registry"
	"github.com/pullwarden/pullwarden/store/ocilayout"
)

// The real containerd (Debian's, through the CRI) and pullwarden pull
// through the same hosts.toml mirror that needs every applied setting: a
// CA of its own (ca), a client certificate (client), a header, and an API
// root under a path prefix (override_path). The registry itself (server)
// is dead, so only a mirror reached with all of them serves.
func TestRealContainerdAndPullwardenApplySameSettings(t *testing.T) {
	t.Parallel()
	reg := testregistry.StartInProcess(t)
	testimage.Push(t, testimage.Random(t, 1, 1024), reg.Ref("app:v1"), nil)
	pki := t.TempDir()
	serverCA, clientCA := testpki.NewCA(t, pki, "server-ca"), testpki.NewCA(t, pki, "client-ca")
	client := clientCA.Client(t, "node")
	u, _ := url.Parse(reg.URL)
	rp := httputil.NewSingleHostReverseProxy(u)
	var served, refused atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := strings.CutPrefix(r.URL.Path, "/cache/hub/")
		if !ok && r.URL.Path == "/cache/hub" {
			p, ok = "", true
		}
		if !ok || r.Header.Get("X-Mirror-Key") != "k1" {
			refused.Add(1)
			http.Error(w, "no", http.StatusForbidden)
			return
		}
		served.Add(1)
		r.URL.Path = "/v2/" + p
		rp.ServeHTTP(w, r)
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{serverCA.Server(t, "mirror").TLS},
		ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: clientCA.Pool()}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	mirror := srv.Listener.Addr().String()

	ctd := testcontainerd.Start(t)
	if ctd == nil {
		return
	}
	const host = "registry.test:5000"
	dir := hostsDir(t, ctd)
	toml := fmt.Sprintf(`server = "http://127.0.0.1:1"

[host."https://%s/cache/hub"]
  capabilities = ["pull", "resolve"]
  override_path = true
  ca = %q
  client = [[%q, %q]]
  [host."https://%s/cache/hub".header]
    x-mirror-key = "k1"
`, mirror, serverCA.File, client.CertFile, client.KeyFile, mirror)
	if err := os.WriteFile(filepath.Join(dir, "hosts.toml"), []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}

	conn, err := grpc.NewClient("unix://"+ctd.Address, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := runtimeapi.NewImageServiceClient(conn).PullImage(t.Context(), &runtimeapi.PullImageRequest{
		Image: &runtimeapi.ImageSpec{Image: host + "/app:v1"},
	}); err != nil {
		t.Fatalf("containerd pull: %v\n%s", err, testregistry.Tail(ctd.LogPath(), 30))
	}
	byContainerd := served.Load()
	if byContainerd == 0 {
		t.Fatal("containerd did not pull through the mirror")
	}

	st, err := ocilayout.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	pl := pull.New(st, registry.New(registry.Options{Retry: registry.RetryPolicy{Attempts: 1}}), pull.WithMirrors(filepath.Dir(dir), nil))
	res, err := pl.Ensure(t.Context(), pull.EnsureRequest{Image: host + "/app:v1"})
	if err != nil || res.Mirror != mirror {
		t.Fatalf("pullwarden: %v, served by %q", err, res.Mirror)
	}
	if n := refused.Load(); n != 0 {
		t.Errorf("the mirror refused %d requests (wrong path or missing header)", n)
	}
	t.Logf("requests served by the mirror: containerd %d, pullwarden %d", byContainerd, served.Load()-byContainerd)
}

package hosts_test

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/pullwarden/pullwarden/hosts"
	"github.com/pullwarden/pullwarden/internal/faultproxy"
	"github.com/pullwarden/pullwarden/internal/testcontainerd"
	"github.com/pullwarden/pullwarden/internal/testimage"
	"github.com/pullwarden/pullwarden/internal/testregistry"
	"github.com/pullwarden/pullwarden/runtime/cri"
)

// The real containerd (Debian's 1.6, through the CRI) tries the hosts of a
// hosts.toml (in the host_port_ directory) in the order Endpoints gives:
// the first mirror (which lacks the image), then the second (which serves
// it); the server is not asked. Had containerd asked the second mirror
// first, the first would have seen no request.
func TestRealContainerdTriesHostsInOrder(t *testing.T) {
	t.Parallel()
	reg := testregistry.StartInProcess(t)
	img, err := testimage.NewRandom(1, 1024)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := testimage.Write(t.Context(), img, reg.Ref("app:v1"), nil); err != nil {
		t.Fatal(err)
	}
	proxy := func() (*faultproxy.Proxy, string) {
		p, err := faultproxy.New(reg.URL)
		if err != nil {
			t.Fatal(err)
		}
		s := httptest.NewServer(p)
		t.Cleanup(s.Close)
		t.Cleanup(p.Close)
		return p, s.Listener.Addr().String()
	}
	lacking, lackingAddr := proxy()
	lacking.Add(faultproxy.Rule{Path: "/manifests/", Fault: faultproxy.Fault{Kind: faultproxy.Status, Code: 404,
		Body: `{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}`}})
	serving, servingAddr := proxy()
	server, serverAddr := proxy()

	ctd := testcontainerd.Start(t)
	if ctd == nil {
		return
	}
	const host = "registry.test:5000"
	dir := hostsDir(t, ctd)
	toml := fmt.Sprintf(`server = "http://%s"

[host."http://%s"]
  capabilities = ["pull", "resolve"]

[host."http://%s"]
  capabilities = ["pull", "resolve"]
`, serverAddr, lackingAddr, servingAddr)
	if err := os.WriteFile(filepath.Join(dir, "hosts.toml"), []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	eps, err := hosts.Endpoints(filepath.Dir(dir), host)
	if err != nil {
		t.Fatal(err)
	}
	if len(eps) != 3 || eps[0].Host != lackingAddr || eps[1].Host != servingAddr || eps[2].Host != serverAddr {
		t.Fatalf("Endpoints: %v", eps)
	}

	conn, err := grpc.NewClient("unix://"+ctd.Address, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	if _, err := runtimeapi.NewImageServiceClient(conn).PullImage(t.Context(), &runtimeapi.PullImageRequest{
		Image: &runtimeapi.ImageSpec{Image: host + "/app:v1"},
	}); err != nil {
		t.Fatalf("containerd pull: %v\n%s", err, testregistry.Tail(ctd.LogPath(), 30))
	}
	t.Logf("containerd pulled through the second mirror in %v", time.Since(start))
	if len(lacking.Requests()) == 0 {
		t.Error("containerd did not ask the first mirror")
	}
	if len(serving.Requests()) == 0 {
		t.Error("containerd did not pull from the second mirror")
	}
	if n := len(server.Requests()); n != 0 {
		t.Errorf("containerd asked the server %d times though the second mirror served", n)
	}
}

// hostsDir makes the certs.d directory of host registry.test:5000 in
// ctd's registry config path (containerd's name for it, with the port).
func hostsDir(t *testing.T, ctd *testcontainerd.Containerd) string {
	t.Helper()
	dir := filepath.Join(cri.PathsFor(ctd.Dir).CertsD, "registry.test_5000_")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}

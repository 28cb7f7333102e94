package pull

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pullwarden/pullwarden/cause"
	"github.com/pullwarden/pullwarden/internal/testimage"
	"github.com/pullwarden/pullwarden/internal/testpki"
	"github.com/pullwarden/pullwarden/internal/testregistry"
	"github.com/pullwarden/pullwarden/registry"
	"github.com/pullwarden/pullwarden/store/ocilayout"
)

// front is a TLS (or plain) reverse proxy in front of a real registry,
// recording the requests it sees.
type front struct {
	Host string
	// redirectBlobs, when set, is a base URL blob GETs are redirected to.
	redirectBlobs string
	mu            sync.Mutex
	reqs          []*http.Request
}

func (f *front) seen() []*http.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*http.Request(nil), f.reqs...)
}

// startFront serves backend under prefix (requests to prefix+"/x" reach
// the registry's "/v2/x"; prefix "" passes paths as they are), over TLS
// with cfg when cfg is set.
func startFront(t *testing.T, backend *testregistry.Registry, prefix string, cfg *tls.Config) *front {
	t.Helper()
	u, _ := url.Parse(backend.URL)
	rp := httputil.NewSingleHostReverseProxy(u)
	f := &front{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.reqs = append(f.reqs, r.Clone(r.Context()))
		redirect := f.redirectBlobs
		f.mu.Unlock()
		if redirect != "" && r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/") {
			http.Redirect(w, r, redirect+r.URL.Path, http.StatusTemporaryRedirect)
			return
		}
		if prefix != "" {
			if !strings.HasPrefix(r.URL.Path, prefix+"/") {
				http.NotFound(w, r)
				return
			}
			r.URL.Path = "/v2" + strings.TrimPrefix(r.URL.Path, prefix)
			r.URL.RawPath = ""
		}
		rp.ServeHTTP(w, r)
	})
	s := httptest.NewUnstartedServer(h)
	if cfg != nil {
		s.TLS = cfg
		s.StartTLS()
	} else {
		s.Start()
	}
	t.Cleanup(s.Close)
	f.Host = s.Listener.Addr().String()
	return f
}

// writeHosts writes root/<host>/hosts.toml.
func writeHosts(t *testing.T, root, host, body string) {
	t.Helper()
	dir := filepath.Join(root, strings.ReplaceAll(host, ":", "_")+"_")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "hosts.toml"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func newMirrorPuller(t *testing.T, root string) *Puller {
	t.Helper()
	s, err := ocilayout.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return New(s, registry.New(registry.Options{Retry: registry.RetryPolicy{Attempts: 1}}), WithMirrors(root, nil))
}

// A TLS mirror signed by its own CA serves only when its entry names
// the CA (ca); without it the pull fails with a TLS error naming the
// certificate, and the mirror is not reached over plain HTTP.
func TestMirrorOwnCA(t *testing.T) {
	t.Parallel()
	pki := t.TempDir()
	ca := testpki.NewCA(t, pki, "mirror-ca")
	backend := testregistry.StartInProcess(t)
	upstream := testregistry.StartInProcess(t)
	testimage.Push(t, testimage.Random(t, 1, 1024), backend.Ref("a/b:1"), nil)
	m := startFront(t, backend, "", &tls.Config{Certificates: []tls.Certificate{ca.Server(t, "mirror").TLS}})

	with, without := t.TempDir(), t.TempDir()
	writeHosts(t, with, upstream.Host, fmt.Sprintf("server = %q\n[host.%q]\n  ca = %q\n", "http://"+upstream.Host, "https://"+m.Host, ca.File))
	writeHosts(t, without, upstream.Host, fmt.Sprintf("server = %q\n", "https://"+m.Host))

	res, err := newMirrorPuller(t, with).Ensure(t.Context(), EnsureRequest{Image: upstream.Ref("a/b:1")})
	if err != nil || res.Mirror != m.Host {
		t.Fatalf("with ca: %v, served by %q, want the mirror %s", err, res.Mirror, m.Host)
	}
	_, err = newMirrorPuller(t, without).Ensure(t.Context(), EnsureRequest{Image: upstream.Ref("a/b:1")})
	if !errors.Is(err, cause.RegistryUnreachable) || !strings.Contains(err.Error(), "certificate signed by unknown authority") {
		t.Fatalf("without ca: %v, want a TLS error (unknown authority)", err)
	}
	for _, r := range m.seen() {
		if r.TLS == nil {
			t.Errorf("a request reached the https mirror over plain HTTP: %s %s", r.Method, r.URL)
		}
	}
}

// skip_verify of one mirror applies to it alone: with the same puller,
// an image the lax mirror serves is pulled, and one it lacks goes on to
// the registry itself, whose certificate (from another unknown CA) still
// fails verification.
func TestMirrorSkipVerifyStaysWithItsHost(t *testing.T) {
	t.Parallel()
	pki := t.TempDir()
	caA, caB := testpki.NewCA(t, pki, "a"), testpki.NewCA(t, pki, "b")
	mirrorReg, serverReg := testregistry.StartInProcess(t), testregistry.StartInProcess(t)
	testimage.Push(t, testimage.Random(t, 1, 1024), mirrorReg.Ref("a/b:1"), nil)
	testimage.Push(t, testimage.Random(t, 1, 1024), serverReg.Ref("a/c:1"), nil)
	lax := startFront(t, mirrorReg, "", &tls.Config{Certificates: []tls.Certificate{caA.Server(t, "lax").TLS}})
	strict := startFront(t, serverReg, "", &tls.Config{Certificates: []tls.Certificate{caB.Server(t, "strict").TLS}})
	const reg = "registry.invalid:5000"
	root := t.TempDir()
	writeHosts(t, root, reg, fmt.Sprintf("server = %q\n[host.%q]\n  skip_verify = true\n", "https://"+strict.Host, "https://"+lax.Host))
	pl := newMirrorPuller(t, root)
	res, err := pl.Ensure(t.Context(), EnsureRequest{Image: reg + "/a/b:1"})
	if err != nil || res.Mirror != lax.Host {
		t.Fatalf("lax mirror: %v, served by %q", err, res.Mirror)
	}
	_, err = pl.Ensure(t.Context(), EnsureRequest{Image: reg + "/a/c:1"})
	if !errors.Is(err, cause.RegistryUnreachable) || !strings.Contains(err.Error(), "unknown authority") {
		t.Fatalf("registry with an unknown CA: %v, want a TLS verification failure", err)
	}
	for _, r := range strict.seen() {
		t.Errorf("the strict host answered a request (%s %s): skip_verify leaked to it", r.Method, r.URL)
	}
}

// A mirror that requires a client certificate serves when its entry
// names the pair (client); without it the handshake fails and the image
// comes from nowhere else.
func TestMirrorClientCertificate(t *testing.T) {
	t.Parallel()
	pki := t.TempDir()
	serverCA, clientCA := testpki.NewCA(t, pki, "server-ca"), testpki.NewCA(t, pki, "client-ca")
	client := clientCA.Client(t, "node")
	backend := testregistry.StartInProcess(t)
	testimage.Push(t, testimage.Random(t, 1, 1024), backend.Ref("a/b:1"), nil)
	m := startFront(t, backend, "", &tls.Config{Certificates: []tls.Certificate{serverCA.Server(t, "mirror").TLS},
		ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: clientCA.Pool()})
	const reg = "registry.invalid:5000"
	with, without := t.TempDir(), t.TempDir()
	writeHosts(t, with, reg, fmt.Sprintf("[host.%q]\n  ca = %q\n  client = [[%q, %q]]\n", "https://"+m.Host, serverCA.File, client.CertFile, client.KeyFile))
	writeHosts(t, without, reg, fmt.Sprintf("[host.%q]\n  ca = %q\n", "https://"+m.Host, serverCA.File))
	res, err := newMirrorPuller(t, with).Ensure(t.Context(), EnsureRequest{Image: reg + "/a/b:1"})
	if err != nil || res.Mirror != m.Host {
		t.Fatalf("with the client certificate: %v, served by %q", err, res.Mirror)
	}
	n := len(m.seen())
	if _, err := newMirrorPuller(t, without).Ensure(t.Context(), EnsureRequest{Image: reg + "/a/b:1"}); err == nil {
		t.Fatal("without the client certificate: pulled")
	}
	if got := len(m.seen()); got != n {
		t.Fatalf("the mirror answered %d requests without a client certificate", got-n)
	}
}

// A mirror's headers reach that mirror on every request (with the "ns"
// parameter naming the registry), and neither the registry itself nor the
// storage host a blob request is redirected to.
func TestMirrorHeaderStaysWithItsHost(t *testing.T) {
	t.Parallel()
	backend := testregistry.StartInProcess(t)
	upstreamReg := testregistry.StartInProcess(t)
	testimage.Push(t, testimage.Random(t, 2, 1024), backend.Ref("a/b:1"), nil)
	testimage.Push(t, testimage.Random(t, 1, 1024), upstreamReg.Ref("a/c:1"), nil)
	storage := startFront(t, backend, "", nil)
	m := startFront(t, backend, "", nil)
	m.mu.Lock()
	m.redirectBlobs = "http://" + storage.Host
	m.mu.Unlock()
	upstream := startFront(t, upstreamReg, "", nil)
	root := t.TempDir()
	writeHosts(t, root, upstream.Host, fmt.Sprintf("server = %q\n[host.%q]\n  [host.%q.header]\n    x-mirror-token = [\"s3cret\", \"two\"]\n",
		"http://"+upstream.Host, "http://"+m.Host, "http://"+m.Host))
	pl := newMirrorPuller(t, root)
	if res, err := pl.Ensure(t.Context(), EnsureRequest{Image: upstream.Host + "/a/b:1"}); err != nil || res.Mirror != m.Host {
		t.Fatalf("a/b:1: %v, served by %q", err, res.Mirror)
	}
	if res, err := pl.Ensure(t.Context(), EnsureRequest{Image: upstream.Host + "/a/c:1"}); err != nil || res.Mirror != "" {
		t.Fatalf("a/c:1: %v, served by %q, want the registry", err, res.Mirror)
	}
	blobs := 0
	for _, r := range m.seen() {
		if got := r.Header.Values("X-Mirror-Token"); strings.Join(got, ",") != "s3cret,two" {
			t.Errorf("mirror: %s %s carried X-Mirror-Token %q", r.Method, r.URL.Path, got)
		}
		if r.URL.Path != "/v2/" && r.URL.Query().Get("ns") != upstream.Host {
			t.Errorf("mirror: %s %s without ns=%s", r.Method, r.URL, upstream.Host)
		}
		if strings.Contains(r.URL.Path, "/blobs/") {
			blobs++
		}
	}
	if blobs == 0 || len(storage.seen()) == 0 {
		t.Fatalf("no blob went through the redirect (%d blob requests, %d at storage)", blobs, len(storage.seen()))
	}
	for _, f := range []*front{storage, upstream} {
		for _, r := range f.seen() {
			if r.Header.Get("X-Mirror-Token") != "" {
				t.Errorf("%s %s on %s carried the mirror's header", r.Method, r.URL.Path, f.Host)
			}
		}
	}
}

// A registry served under a path prefix is reached with override_path
// (the URL's path is the API root, used as is) and without it (the path
// gets /v2 appended), as containerd builds the request paths.
func TestMirrorPathPrefix(t *testing.T) {
	t.Parallel()
	backend := testregistry.StartInProcess(t)
	testimage.Push(t, testimage.Random(t, 1, 1024), backend.Ref("a/b:1"), nil)
	for _, c := range []struct {
		name, prefix, url string
		override          bool
	}{
		{"override_path", "/api/docker/remote", "/api/docker/remote", true},
		{"override_path ending in v2", "/proxy/v2/hub", "/proxy/v2/hub", true},
		{"appended /v2", "/mirror/v2", "/mirror", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := startFront(t, backend, c.prefix, nil)
			root := t.TempDir()
			const reg = "registry.invalid:5000"
			writeHosts(t, root, reg, fmt.Sprintf("[host.%q]\n  override_path = %v\n", "http://"+f.Host+c.url, c.override))
			res, err := newMirrorPuller(t, root).Ensure(t.Context(), EnsureRequest{Image: reg + "/a/b:1"})
			if err != nil || res.Mirror != f.Host {
				t.Fatalf("%v, served by %q", err, res.Mirror)
			}
			for _, r := range f.seen() {
				if !strings.HasPrefix(r.URL.Path, c.prefix+"/") {
					t.Errorf("%s %s outside the API root %s", r.Method, r.URL.Path, c.prefix)
				}
			}
		})
	}
}

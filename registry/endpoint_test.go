package registry

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/pullwarden/pullwarden/internal/testimage"
	"github.com/pullwarden/pullwarden/internal/testpki"
	"github.com/pullwarden/pullwarden/internal/testregistry"
	"github.com/pullwarden/pullwarden/reference"
)

// An Endpoint with TLS settings fails clearly on a Client whose transport
// cannot apply them, instead of silently using the default TLS.
func TestEndpointTLSNeedsDefaultTransport(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "https://")
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	ref, _ := reference.Parse(host + "/a/b:1")
	ctx := WithEndpoint(t.Context(), Endpoint{Host: host, Scheme: "https", TLS: &tls.Config{RootCAs: pool}})

	c := New(Options{Transport: &http.Transport{}, Retry: RetryPolicy{Attempts: 1}})
	if _, err := c.Resolve(ctx, ref, nil); !errors.Is(err, errNotApplied) {
		t.Fatalf("custom transport: %v, want %v", err, errNotApplied)
	}
	// The default transport applies them: the registry is reached (and
	// answers 404 to the ping, a protocol failure, not a TLS one).
	_, err := New(Options{Retry: RetryPolicy{Attempts: 1}}).Resolve(ctx, ref, nil)
	if err == nil || isTLS(err) || errors.Is(err, errNotApplied) {
		t.Fatalf("default transport: %v, want the registry's answer", err)
	}
}

// Equal configurations built apart (a hosts.toml read for each pull)
// share one transport, so their connections are reused; a different one
// gets its own.
func TestHostTransportReusesEqualConfigurations(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ca := testpki.NewCA(t, dir, "ca")
	client := ca.Client(t, "c")
	mk := func(skip bool) *tls.Config {
		return &tls.Config{RootCAs: ca.Pool(), Certificates: []tls.Certificate{client.TLS}, InsecureSkipVerify: skip}
	}
	h := DefaultTransport().(*hostTransport)
	a, b, c := h.transportFor(mk(false), 0), h.transportFor(mk(false), 0), h.transportFor(mk(true), 0)
	if a != b || a == c || a == h.base || h.transportFor(nil, 0) == a {
		t.Fatalf("transports: equal configurations shared %v, different ones apart %v", a == b, a != c)
	}
}

type pathRecorder struct {
	inner http.RoundTripper
	mu    sync.Mutex
	paths []string
}

func (r *pathRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.paths = append(r.paths, req.URL.Path)
	r.mu.Unlock()
	return r.inner.RoundTrip(req)
}

// An Endpoint's API root is applied at the bottom: a wrapper of
// DefaultTransport (the agent's throttle) sees the API's /v2/ paths,
// while the registry behind a path prefix is asked under its prefix.
func TestEndpointRootBelowWrappers(t *testing.T) {
	t.Parallel()
	reg := testregistry.StartInProcess(t)
	testimage.Push(t, testimage.Random(t, 1, 256), reg.Ref("a/b:1"), nil)
	u, _ := url.Parse(reg.URL)
	rp := httputil.NewSingleHostReverseProxy(u)
	var mu sync.Mutex
	var served []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		served = append(served, r.URL.Path)
		mu.Unlock()
		p, ok := strings.CutPrefix(r.URL.Path, "/api/hub/")
		if !ok {
			http.NotFound(w, r)
			return
		}
		r.URL.Path = "/v2/" + p
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	rec := &pathRecorder{inner: DefaultTransport()}
	c := New(Options{Transport: rec, Retry: RetryPolicy{Attempts: 1}})
	ref, _ := reference.Parse(host + "/a/b:1")
	ctx := WithEndpoint(t.Context(), Endpoint{Host: host, Scheme: "http", Root: "/api/hub"})
	if _, err := c.Resolve(ctx, ref, nil); err != nil {
		t.Fatal(err)
	}
	for _, p := range rec.paths {
		if !strings.HasPrefix(p, "/v2/") {
			t.Errorf("the wrapper saw %s, want the API's /v2/ path", p)
		}
	}
	for _, p := range served {
		if !strings.HasPrefix(p, "/api/hub/") {
			t.Errorf("the registry was asked for %s, outside its root", p)
		}
	}
	// The wrapper also sees the https attempt of the ping that never
	// reaches this plain-HTTP server.
	if len(served) < 2 || len(served) > len(rec.paths) {
		t.Fatalf("wrapper saw %v, registry %v", rec.paths, served)
	}
}

// Options.Insecure still allows plain HTTP to a host whose Endpoint says
// https (the registry itself in a hosts.toml directory without its
// entry); an https Endpoint alone does not, loopback included.
func TestEndpointKeepsInsecureList(t *testing.T) {
	t.Parallel()
	ctx := WithEndpoint(t.Context(), Endpoint{Host: "r.example:5000", Scheme: "https"})
	listed := New(Options{Insecure: []string{"r.example"}})
	if !listed.allowHTTPIn(ctx, "r.example:5000") {
		t.Error("a host listed insecure refused over http")
	}
	ctx = WithEndpoint(t.Context(), Endpoint{Host: "127.0.0.1:5000", Scheme: "https"})
	if New(Options{}).allowHTTPIn(ctx, "127.0.0.1:5000") {
		t.Error("an https endpoint on loopback allowed over http")
	}
	if !New(Options{}).allowHTTPIn(t.Context(), "127.0.0.1:5000") {
		t.Error("loopback without an endpoint refused over http")
	}
}

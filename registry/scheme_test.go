package registry

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	ggcrreg "github.com/google/go-containerregistry/pkg/registry"

	"github.com/pullwarden/pullwarden/cause"
	"github.com/pullwarden/pullwarden/internal/faultproxy"
)

// TestRedirectCarriesNoCredentials: blob GETs are redirected (307) to
// another host (127.0.0.2); the registry host gets the Authorization
// header, the other host never does.
func TestRedirectCarriesNoCredentials(t *testing.T) {
	t.Parallel()
	h := ggcrreg.New(quiet())
	blobHost, err := faultproxy.New("http://" + mustServe(t, "127.0.0.1:0", h))
	if err != nil {
		t.Fatal(err)
	}
	blobAddr := mustServe(t, "127.0.0.2:0", blobHost)
	e := newEnvWith(t, h, basicAuth(h, "user", "secret"))
	img := randomImage(t)
	ref := e.push(t, "private/app:v1", img)
	e.proxy.Add(faultproxy.Rule{Method: "GET", Path: blobs, Fault: faultproxy.Fault{Kind: faultproxy.Redirect, Target: "http://" + blobAddr}})

	st := newMemStore()
	_, err = testClient(newFakeClock()).Fetch(t.Context(), ref, &authn.Basic{Username: "user", Password: "secret"}, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	assertComplete(t, st, img)
	var redirected, authed int
	for _, r := range e.proxy.Requests() {
		if r.Fault == faultproxy.Redirect {
			redirected++
		}
		if r.Auth && strings.Contains(r.Path, "/manifests/") {
			authed++
		}
	}
	if redirected != 4 || authed == 0 {
		t.Fatalf("registry saw %d redirects and %d authorized manifest requests", redirected, authed)
	}
	other := blobHost.Requests()
	if len(other) != 4 {
		t.Fatalf("the blob host saw %d requests, want 4", len(other))
	}
	for _, r := range other {
		if r.Auth {
			t.Fatalf("credentials sent to the redirect host: %+v", r)
		}
	}
}

func mustServe(t *testing.T, addr string, h http.Handler) string {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return l.Addr().String()
}

// recorder records request URLs and fails them all: no traffic leaves.
type recorder struct {
	mu   sync.Mutex
	urls []string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.urls = append(r.urls, req.URL.Scheme+"://"+req.URL.Host+req.URL.Path)
	r.mu.Unlock()
	return nil, errors.New("recorder: no traffic")
}

func TestSchemeChoice(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		image     string
		insecure  []string
		allowHTTP bool
	}{
		{"10.1.2.3:5000/app:v1", nil, false},
		{"192.168.1.9/app:v1", nil, false},
		{"registry.example.com/app:v1", nil, false},
		{"10.1.2.3:5000/app:v1", []string{"10.1.2.3:5000"}, true},
		{"10.1.2.3:5000/app:v1", []string{"10.1.2.3"}, true},
		{"10.1.2.3:5000/app:v1", []string{"10.1.2.3:6000"}, false},
		{"localhost:5000/app:v1", nil, true},
		{"127.0.0.5:5000/app:v1", nil, true},
		{"[::1]:5000/app:v1", nil, true},
	} {
		t.Run(tc.image, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{}
			c := testClient(newFakeClock(), func(o *Options) { o.Transport = rec; o.Insecure = tc.insecure })
			_, err := c.Resolve(t.Context(), mustRef(t, tc.image), nil)
			if err == nil {
				t.Fatal("no error although every request failed")
			}
			var sawHTTP, sawHTTPS bool
			for _, u := range rec.urls {
				sawHTTP = sawHTTP || strings.HasPrefix(u, "http://")
				sawHTTPS = sawHTTPS || strings.HasPrefix(u, "https://")
			}
			if !sawHTTPS || sawHTTP != tc.allowHTTP {
				t.Fatalf("requests %v: want https, and http only if allowed (%v)", rec.urls, tc.allowHTTP)
			}
			if !tc.allowHTTP && strings.HasPrefix(tc.image, "1") && !errors.Is(err, cause.RegistryUnreachable) {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

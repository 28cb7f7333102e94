package registry

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	ggcrreg "github.com/google/go-containerregistry/pkg/registry"

	"github.com/pullwarden/pullwarden/cause"
	"github.com/pullwarden/pullwarden/internal/faultproxy"
)

// bearerFront asks for Bearer tokens from realm() (served here, at /token)
// and accepts any token, as a registry behind a token server does.
func bearerFront(h http.Handler, realm func() string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"token":"t0ken","expires_in":300}`))
			return
		}
		if r.Header.Get("Authorization") != "Bearer t0ken" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="`+realm()+`",service="test"`)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"errors":[{"code":"UNAUTHORIZED","message":"token required"}]}`))
			return
		}
		h.ServeHTTP(w, r)
	})
}

func newBearerEnv(t *testing.T) *env {
	t.Helper()
	h := ggcrreg.New(quiet())
	var e *env
	e = newEnvWith(t, h, bearerFront(h, func() string { return "http://" + e.host + "/token" }))
	return e
}

// TestSilentRegistryDoesNotHang: a registry that accepts the connection
// and never answers, at any step of the protocol, costs one header timeout
// and a retry; one that never answers at all is RegistryUnreachable after
// the attempts, in seconds.
func TestSilentRegistryDoesNotHang(t *testing.T) {
	t.Parallel()
	hang := faultproxy.Fault{Kind: faultproxy.Hang}
	cases := []struct {
		name   string
		rule   faultproxy.Rule
		always bool
		want   *cause.Cause
	}{
		{name: "ping", rule: faultproxy.Rule{Path: `^/v2/$`, Times: 1, Fault: hang}},
		{name: "token", rule: faultproxy.Rule{Path: `^/token$`, Times: 1, Fault: hang}},
		{name: "manifest HEAD", rule: faultproxy.Rule{Method: "HEAD", Path: manifests, Times: 1, Fault: hang}},
		{name: "manifest GET", rule: faultproxy.Rule{Method: "GET", Path: manifests, Times: 1, Fault: hang}},
		{name: "blob", rule: faultproxy.Rule{Method: "GET", Path: blobs, Times: 1, Fault: hang}},
		{name: "ping always", rule: faultproxy.Rule{Path: `^/v2/$`, Fault: hang}, want: cause.RegistryUnreachable},
		{name: "blob body stalls always", rule: faultproxy.Rule{Method: "GET", Path: blobs, Fault: faultproxy.Fault{Kind: faultproxy.Stall, N: 10}},
			want: cause.NetworkError},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newBearerEnv(t)
			img := randomImage(t)
			ref := e.push(t, "app/silent:v1", img)
			e.proxy.Add(tc.rule)
			clk := newFakeClock()
			c := testClient(clk, realTimeouts, func(o *Options) {
				o.HeaderTimeout = 500 * time.Millisecond
				o.Parallel = 1
			})
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			start := time.Now()
			st := newMemStore()
			_, err := c.Fetch(ctx, ref, authn.Anonymous, st, nil)
			t.Logf("%s: %v after %s", tc.name, err, time.Since(start).Round(time.Millisecond))
			if ctx.Err() != nil {
				t.Fatalf("the fetch hung: %v", err)
			}
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				assertComplete(t, st, img)
				if w := clk.Waits(); len(w) != 1 {
					t.Fatalf("waits %v, want one retry", w)
				}
				return
			}
			var ce *cause.Error
			if !errors.As(err, &ce) || ce.Cause != tc.want {
				t.Fatalf("err = %v, want %s", err, tc.want.Reason())
			}
			if w := clk.Waits(); len(w) != 3 {
				t.Fatalf("waits %v, want 3 (4 attempts)", w)
			}
			if !strings.Contains(ce.Message, e.host) {
				t.Fatalf("message %q does not name the registry", ce.Message)
			}
		})
	}
}

// TestTrickleIsCut: a body that keeps sending a byte now and then never
// trips the stall timeout, but the minimum-progress rule ends the attempt
// as a NetworkError that resumes where it stopped.
func TestTrickleIsCut(t *testing.T) {
	t.Parallel()
	for _, always := range []bool{false, true} {
		name := "once"
		if always {
			name = "always"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			img := randomImage(t)
			ref := e.push(t, "app/trickle:v1", img)
			times := 1
			if always {
				times = 0
			}
			e.proxy.Add(faultproxy.Rule{Method: "GET", Path: blobs, Times: times,
				Fault: faultproxy.Fault{Kind: faultproxy.Trickle, N: 1, Tick: 20 * time.Millisecond}})
			clk := newFakeClock()
			c := testClient(clk, realTimeouts, func(o *Options) {
				o.Parallel = 1
				o.StallTimeout = 10 * time.Second // only the progress rule may fire
				o.ProgressWindow = 400 * time.Millisecond
			})
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			st := newMemStore()
			_, err := c.Fetch(ctx, ref, nil, st, nil)
			if ctx.Err() != nil {
				t.Fatalf("the trickle was not cut: %v", err)
			}
			if always {
				var ce *cause.Error
				if !errors.As(err, &ce) || ce.Cause != cause.NetworkError || !strings.Contains(ce.Message, "too slow") {
					t.Fatalf("err = %v, want a NetworkError saying the transfer was too slow", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			assertComplete(t, st, img)
			var resumed bool
			for _, r := range e.proxy.Requests() {
				resumed = resumed || (r.Method == "GET" && strings.Contains(r.Path, "/blobs/") && r.Range != "")
			}
			if !resumed {
				t.Fatal("the blob cut for slowness was not resumed with a Range request")
			}
		})
	}
}

// TestWatchdogOnFakeClock drives the default limits on a fake clock: one
// byte every 2 s never trips the 30 s stall timeout, and the body is cut
// for slowness once a 1-minute window has brought fewer than 16 KiB.
func TestWatchdogOnFakeClock(t *testing.T) {
	t.Parallel()
	next := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		rc := http.NewResponseController(w)
		rc.Flush()
		for {
			select {
			case <-next:
				w.Write([]byte{'x'})
				rc.Flush()
			case <-r.Context().Done():
				return
			}
		}
	}))
	defer srv.Close()
	clk := newFakeClock()
	o := withDefaults(Options{Clock: clk.Fake})
	g := &deadlineGuard{o: &o, inner: http.DefaultTransport}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL, nil)
	resp, err := g.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf := make([]byte, 1)
	for i := 1; i <= 60; i++ {
		select {
		case next <- struct{}{}:
		case <-time.After(10 * time.Second):
			t.Fatal("server gone")
		}
		n, err := resp.Body.Read(buf)
		if err != nil {
			if !errors.Is(err, errTooSlow) {
				t.Fatalf("byte %d: err = %v, want errTooSlow", i, err)
			}
			if i < 30 {
				t.Fatalf("cut after %d bytes (%ds), before the 60s window ended", i, 2*i)
			}
			t.Logf("cut at byte %d (%ds fake time): %v", i, 2*i, err)
			return
		}
		if n != 1 {
			t.Fatalf("read %d bytes", n)
		}
		clk.Step(2 * time.Second)
	}
	t.Fatal("a 1 byte / 2 s trickle was never cut")
}

package registry

import (
	"context"
	"errors"
	"net/http"
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

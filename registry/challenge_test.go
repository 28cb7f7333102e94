package registry

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	ggcrreg "github.com/google/go-containerregistry/pkg/registry"

	"github.com/pullwarden/pullwarden/internal/faultproxy"
)

// TestWarmPullCostsOneRequest: a pull of an image already in the store
// costs its manifest HEAD alone once the Client knows the registry's
// challenge (containerd's count), on an open registry and on a
// token-auth one (there the token exchange stays, per pull).
func TestWarmPullCostsOneRequest(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		bearer bool
		want   []string
	}{
		{name: "open", want: []string{"HEAD manifests"}},
		{name: "bearer", bearer: true, want: []string{"GET /token", "HEAD manifests"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			if tc.bearer {
				e = newBearerEnv(t)
			}
			ref := e.push(t, "app/warm:v1", randomImage(t))
			c := testClient(newFakeClock())
			st := newMemStore()
			if _, err := c.Fetch(t.Context(), ref, authn.Anonymous, st, nil); err != nil {
				t.Fatal(err)
			}
			for range 2 {
				e.proxy.Reset()
				if _, err := c.Fetch(t.Context(), ref, authn.Anonymous, st, nil); err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, r := range e.proxy.Requests() {
					got = append(got, r.Method+" "+short(r.Path))
				}
				if len(got) != len(tc.want) {
					t.Fatalf("warm pull sent %q, want %q", got, tc.want)
				}
				for i := range got {
					if got[i] != tc.want[i] {
						t.Fatalf("warm pull sent %q, want %q", got, tc.want)
					}
				}
			}
		})
	}
}

func short(path string) string {
	switch {
	case strings.Contains(path, "/manifests/"):
		return "manifests"
	case strings.Contains(path, "/blobs/"):
		return "blobs"
	}
	return path
}

// TestRememberedChallengeRenewed: a registry that turns token
// authentication on after its challenge was remembered is pinged again and
// the pull succeeds; a registry that stops answering is pinged again on
// the next pull.
func TestRememberedChallengeRenewed(t *testing.T) {
	t.Parallel()
	h := ggcrreg.New(quiet())
	var auth atomic.Bool
	var e *env
	bearer := bearerFront(h, func() string { return "http://" + e.host + "/token" })
	e = newEnvWith(t, h, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if auth.Load() {
			bearer.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(w, r)
	}))
	ref := e.push(t, "app/renew:v1", randomImage(t))
	c := testClient(newFakeClock())
	if _, err := c.Resolve(t.Context(), ref, nil); err != nil {
		t.Fatal(err)
	}
	auth.Store(true)
	e.proxy.Reset()
	if _, err := c.Resolve(t.Context(), ref, nil); err != nil {
		t.Fatalf("after the registry turned authentication on: %v", err)
	}
	pings := 0
	for _, r := range e.proxy.Requests() {
		if r.Path == "/v2/" {
			pings++
		}
	}
	if pings != 1 {
		t.Fatalf("%d pings after the remembered challenge failed, want 1: %+v", pings, e.proxy.Requests())
	}

	e.proxy.Reset()
	e.proxy.Add(faultproxy.Rule{Method: "HEAD", Path: manifests, Times: 1, Fault: faultproxy.Fault{Kind: faultproxy.Status, Code: 401}})
	if _, err := c.Resolve(t.Context(), ref, nil); err != nil {
		t.Fatalf("a single 401 on a remembered challenge: %v", err)
	}
}

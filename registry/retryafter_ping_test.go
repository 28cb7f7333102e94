package registry

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/pullwarden/pullwarden/cause"
	"github.com/pullwarden/pullwarden/internal/faultproxy"
)

// TestRetryAfterOnPingAndToken: the wait a registry asks for on the /v2/
// ping and on the token exchange is honoured like on blobs, and the final
// RateLimited carries it.
func TestRetryAfterOnPingAndToken(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, path string
		code       int
		times      int
		waits      []time.Duration
		want       *cause.Cause
	}{
		{name: "ping 429", path: `^/v2/$`, code: 429, times: 1, waits: []time.Duration{3 * time.Second}},
		{name: "ping 503", path: `^/v2/$`, code: 503, times: 2, waits: []time.Duration{3 * time.Second, 3 * time.Second}},
		{name: "token 429", path: `^/token$`, code: 429, times: 1, waits: []time.Duration{3 * time.Second}},
		{name: "ping 429 always", path: `^/v2/$`, code: 429, want: cause.RateLimited,
			waits: []time.Duration{3 * time.Second, 3 * time.Second, 3 * time.Second}},
		{name: "token 503 always", path: `^/token$`, code: 503, want: cause.ServerError,
			waits: []time.Duration{3 * time.Second, 3 * time.Second, 3 * time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newBearerEnv(t)
			img := randomImage(t)
			ref := e.push(t, "app/limited:v1", img)
			e.proxy.Add(faultproxy.Rule{Path: tc.path, Times: tc.times,
				Fault: faultproxy.Fault{Kind: faultproxy.Status, Code: tc.code, RetryAfter: "3"}})
			clk := newFakeClock()
			_, err := testClient(clk).Fetch(t.Context(), ref, authn.Anonymous, newMemStore(), nil)
			if tc.want == nil && err != nil {
				t.Fatal(err)
			}
			if tc.want != nil {
				var ce *cause.Error
				if !errors.As(err, &ce) || ce.Cause != tc.want {
					t.Fatalf("err = %v, want %s", err, tc.want.Reason())
				}
				if ce.RetryAfter != 3*time.Second {
					t.Fatalf("RetryAfter = %v, want 3s (%s)", ce.RetryAfter, ce.Message)
				}
			}
			got := clk.Waits()
			if len(got) != len(tc.waits) {
				t.Fatalf("waits %v, want %v", got, tc.waits)
			}
			for i := range got {
				if got[i] != tc.waits[i] {
					t.Fatalf("waits %v, want %v", got, tc.waits)
				}
			}
		})
	}
}

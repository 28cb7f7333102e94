package diagnose_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pullwarden/pullwarden/diagnose"
	"github.com/pullwarden/pullwarden/internal/faultproxy"
	"github.com/pullwarden/pullwarden/internal/testregistry"
	"github.com/pullwarden/pullwarden/pull"
)

// The last step says what pullwarden does next under the smart policy,
// for each family of causes found on real registries, and keeps the
// kubelet's back-off window under the kubelet policy.
func TestNextStepByPolicy(t *testing.T) {
	p, host, _ := proxied(t, nil)
	p.Add(faultproxy.Rule{Method: http.MethodHead, Path: `/team/busy/manifests/`, Fault: faultproxy.Fault{
		Kind: faultproxy.Status, Code: http.StatusTooManyRequests, RetryAfter: "30",
		Body: `{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}`}})
	_, quota, _ := proxied(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("RateLimit-Limit", "100;w=21600")
			w.Header().Set("RateLimit-Remaining", "0;w=21600")
			h.ServeHTTP(w, r)
		})
	})
	p.Add(faultproxy.Rule{Path: `/team/broken/manifests/`, Fault: faultproxy.Fault{Kind: faultproxy.Status, Code: http.StatusInternalServerError}})
	private := testregistry.StartInProcess(t, testregistry.WithMiddleware(func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("WWW-Authenticate", `Basic realm="private"`)
			w.WriteHeader(http.StatusUnauthorized)
		})
	}))
	c := checker()
	last := time.Now().Add(-5 * time.Second)
	for _, tc := range []struct {
		name, image, waiting, reason string
		smart, kubelet               []string
	}{
		{"tag missing", host + "/team/app:v2", "ImagePullBackOff", "TagNotFound",
			[]string{"TagNotFound needs a fix, so pullwarden stopped pulling", "manifest HEAD", "every 2s growing to 30s", "announces a push of the repository", "pullwarden retry pod"},
			[]string{"after 3 failed pull(s): back-off 40s, the kubelet retries at", "fails the same way until the cause is fixed"}},
		{"credentials", private.Host + "/team/app:v1", "ImagePullBackOff", "Unauthorized",
			[]string{"Unauthorized needs a fix", "a secret or service account the pod uses, or the node's docker config, changes"},
			[]string{"the kubelet retries at"}},
		{"registry down", "127.0.0.1:1/team/app:v1", "ErrImagePull", "RegistryUnreachable",
			[]string{"RegistryUnreachable is transient", "back-off of 1s doubling to 20s", "probes the registry's /v2/ (every 500ms growing to 1s)"},
			[]string{"ErrImagePull after 3 failed pull(s)"}},
		{"server error", host + "/team/broken:v1", "ErrImagePull", "ServerError",
			[]string{"ServerError is transient", "back-off of 1s doubling to 20s"},
			[]string{"the kubelet retries at"}},
		{"rate limited", host + "/team/busy:v1", "ImagePullBackOff", "RateLimited",
			[]string{"the registry asked to wait 30s (RateLimited)", "no request before then, for every pod using the registry"},
			[]string{"the kubelet retries at"}},
		{"quota used up", quota + "/team/app:v1", "ErrImagePull", "RateLimited",
			[]string{"the registry's pull quota is used up (RateLimited)", "holds its manifest GETs", "HEAD re-checks go on"},
			[]string{"the kubelet retries at"}},
		{"invalid name", "127.0.0.1:1/Team/App:v1", "InvalidImageName", "InvalidImageName",
			[]string{"neither pullwarden nor the kubelet retries until the pod's spec changes"},
			[]string{"the kubelet does not retry until the pod's spec changes"}},
		{"fixed", host + "/team/app:v1", "ImagePullBackOff", "",
			[]string{"the image can be pulled now", "next re-check of a held image", "pullwarden retry pod"},
			[]string{"the next attempt should succeed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, policy := range []pull.RetryPolicy{pull.RetrySmart, pull.RetryKubelet, ""} {
				res := c.Check(t.Context(), diagnose.Request{Image: tc.image,
					Kubelet: &diagnose.KubeletState{Waiting: tc.waiting, Failures: 3, LastFailure: last, Retry: policy}})
				if res.Reason != tc.reason {
					t.Fatalf("%s: reason %q, want %q (%s)", policy, res.Reason, tc.reason, res.Message)
				}
				s := res.Step(diagnose.StepNext)
				want, title := tc.kubelet, "what the kubelet does next"
				if policy == pull.RetrySmart {
					want, title = tc.smart, "what pullwarden does next"
				}
				if s.Status != diagnose.Passed || s.Title != title {
					t.Errorf("%s: step %s %q", policy, s.Status, s.Title)
				}
				for _, w := range want {
					if !strings.Contains(s.Evidence, w) {
						t.Errorf("%s: next step lacks %q:\n%s", policy, w, s.Evidence)
					}
				}
				if policy != pull.RetrySmart && strings.Contains(s.Evidence, "pullwarden") {
					t.Errorf("%s: the kubelet policy's step speaks of pullwarden: %s", policy, s.Evidence)
				}
			}
		})
	}
}

package pull

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/pullwarden/pullwarden/cause"
	"github.com/pullwarden/pullwarden/clock"
	"github.com/pullwarden/pullwarden/internal/faultproxy"
	"github.com/pullwarden/pullwarden/internal/testimage"
	"github.com/pullwarden/pullwarden/internal/testregistry"
	"github.com/pullwarden/pullwarden/metrics"
	"github.com/pullwarden/pullwarden/reason"
	"github.com/pullwarden/pullwarden/recheck"
	"github.com/pullwarden/pullwarden/registry"
	"github.com/pullwarden/pullwarden/store/ocilayout"
)

// retryRig is a registry behind a counting proxy and a Puller on a fake
// clock whose OnRetry calls are collected.
type retryRig struct {
	reg     *testregistry.Registry
	proxy   *faultproxy.Proxy
	host    string
	clk     *clock.Fake
	pl      *Puller
	mu      sync.Mutex
	retried []Retried
}

func newRetryRig(t *testing.T, policy RetryPolicy) *retryRig {
	t.Helper()
	r := &retryRig{reg: testregistry.StartInProcess(t)}
	p, err := faultproxy.New(r.reg.URL)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	r.proxy, r.host = p, strings.TrimPrefix(srv.URL, "http://")
	s, err := ocilayout.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r.clk = clock.NewFake(time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC))
	client := registry.New(registry.Options{Retry: registry.RetryPolicy{Attempts: 1}, Clock: r.clk})
	r.pl = New(s, client, WithClock(r.clk), WithRetry(RetryOptions{
		Policy:  policy,
		Recheck: recheck.Options{Jitter: -1},
		Rand:    func() float64 { return 0 },
		OnRetry: func(x Retried) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.retried = append(r.retried, x)
		},
	}))
	return r
}

func (r *retryRig) manifestRequests() int {
	n := 0
	for _, q := range r.proxy.Requests() {
		if strings.Contains(q.Path, "/manifests/") {
			n++
		}
	}
	return n
}

func (r *retryRig) retries() []Retried {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Retried(nil), r.retried...)
}

// ensurePods runs Ensure for n pods on image and returns their failures'
// reasons.
func (r *retryRig) ensurePods(t *testing.T, image string, n int) map[string]int {
	t.Helper()
	out := map[string]int{}
	for i := range n {
		uid := fmt.Sprintf("pod-%d", i)
		_, err := r.pl.Ensure(t.Context(), EnsureRequest{Image: image, BackoffKey: uid + "_" + image, Waiter: uid})
		var f *Failure
		switch {
		case err == nil:
			out[""]++
		case errors.As(err, &f):
			out[f.Reason]++
		default:
			t.Fatalf("pod %d: %v", i, err)
		}
	}
	return out
}

// TestSmartMissingTagSharedRecheck: 200 pods on a missing tag cost one
// failed pull and then no request until the shared re-check, which is one
// manifest HEAD; once the tag is pushed the re-check releases every pod.
func TestSmartMissingTagSharedRecheck(t *testing.T) {
	t.Parallel()
	r := newRetryRig(t, RetrySmart)
	image := r.host + "/a/b:2"
	got := r.ensurePods(t, image, 200)
	if got[reason.ErrImagePull] != 1 || got[reason.ImagePullBackOff] != 199 {
		t.Fatalf("outcomes %v, want 1 ErrImagePull then 199 ImagePullBackOff", got)
	}
	if n := r.manifestRequests(); n != 1 {
		t.Fatalf("%d manifest requests for 200 pods, want 1 (HEAD 404 is final)", n)
	}
	// The waiting message names the cause and the fix.
	_, err := r.pl.Ensure(t.Context(), EnsureRequest{Image: image, BackoffKey: "pod-0_" + image, Waiter: "pod-0"})
	for _, want := range []string{`Back-off pulling image "` + image + `"`, "TagNotFound", cause.TagNotFound.Hint()} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("waiting message %v lacks %q", err, want)
		}
	}

	go func() { _ = r.pl.RunRechecks(t.Context()) }()
	// First re-check at 2 s: still missing, one HEAD.
	r.clk.Step(2 * time.Second)
	waitFor(t, "re-check", func() bool { return r.manifestRequests() == 2 })
	if len(r.retries()) != 0 {
		t.Fatalf("released while the tag is missing: %v", r.retries())
	}
	testimage.Push(t, testimage.Random(t, 1, 1024), r.reg.Ref("a/b:2"), nil)
	// Next re-check 4 s later finds it and releases all 50 pods at once.
	r.clk.Step(4 * time.Second)
	waitFor(t, "re-check", func() bool { return len(r.retries()) == 1 })
	rel := r.retries()[0]
	if rel.Trigger != TriggerRecheck || len(rel.Waiters) != 200 {
		t.Fatalf("released %d waiters by %q, want 200 by the re-check", len(rel.Waiters), rel.Trigger)
	}
	if n := r.manifestRequests(); n != 3 {
		t.Fatalf("%d manifest requests, want 3 (one pull, two re-check HEADs)", n)
	}
	if got := r.ensurePods(t, image, 200); got[""] != 200 {
		t.Fatalf("after the release: %v, want 200 pulled", got)
	}
}

// TestKubeletPolicyPerPodBackoff: in kubelet mode every pod has its own
// backoff, so every pod sends its own pull, as the kubelet does.
func TestKubeletPolicyPerPodBackoff(t *testing.T) {
	t.Parallel()
	r := newRetryRig(t, RetryKubelet)
	image := r.host + "/a/b:2"
	got := r.ensurePods(t, image, 5)
	if got[reason.ErrImagePull] != 5 {
		t.Fatalf("outcomes %v, want 5 ErrImagePull", got)
	}
	if got := r.ensurePods(t, image, 5); got[reason.ImagePullBackOff] != 5 {
		t.Fatalf("second round %v, want 5 ImagePullBackOff", got)
	}
	// 10 s later, the kubelet's window is over: each pod pulls again.
	r.clk.Step(10*time.Second + time.Millisecond)
	if got := r.ensurePods(t, image, 5); got[reason.ErrImagePull] != 5 {
		t.Fatalf("after 10 s: %v, want 5 ErrImagePull", got)
	}
	if len(r.pl.Holds()) != 0 {
		t.Fatalf("kubelet mode kept smart holds: %v", r.pl.Holds())
	}
}

// TestPodAnnotationOverridesPolicy: a request naming the kubelet policy on
// a smart Puller gets the kubelet's backoff.
func TestRequestPolicyOverridesPuller(t *testing.T) {
	t.Parallel()
	r := newRetryRig(t, RetrySmart)
	image := r.host + "/a/b:2"
	for i := range 3 {
		uid := fmt.Sprintf("p%d", i)
		_, err := r.pl.Ensure(t.Context(), EnsureRequest{Image: image, BackoffKey: uid + "_" + image, Retry: RetryKubelet})
		var f *Failure
		if !errors.As(err, &f) || f.Reason != reason.ErrImagePull {
			t.Fatalf("pod %d: %v, want ErrImagePull (per-pod backoff)", i, err)
		}
	}
}

// TestSmartTransientBackoff: a 503 holds the image for 1 s, then 2 s
// (doubling, capped at 20 s), shared by every pod.
func TestSmartTransientBackoff(t *testing.T) {
	t.Parallel()
	r := newRetryRig(t, RetrySmart)
	testimage.Push(t, testimage.Random(t, 1, 1024), r.reg.Ref("a/b:1"), nil)
	image := r.host + "/a/b:1"
	r.proxy.Add(faultproxy.Rule{Path: "/manifests/", Fault: faultproxy.Fault{Kind: faultproxy.Status, Code: 500}})
	if got := r.ensurePods(t, image, 10); got[reason.ErrImagePull] != 1 || got[reason.ImagePullBackOff] != 9 {
		t.Fatalf("outcomes %v", got)
	}
	_, err := r.pl.Ensure(t.Context(), EnsureRequest{Image: image, BackoffKey: "x_" + image, Waiter: "x"})
	var f *Failure
	if !errors.As(err, &f) || !f.RetryAt.Equal(r.clk.Now().Add(TransientInitial)) {
		t.Fatalf("%v: want a retry at +1s", err)
	}
	r.clk.Step(TransientInitial)
	if got := r.ensurePods(t, image, 1); got[reason.ErrImagePull] != 1 {
		t.Fatalf("after 1 s: %v, want one new attempt", got)
	}
	_, err = r.pl.Ensure(t.Context(), EnsureRequest{Image: image, BackoffKey: "x_" + image, Waiter: "x"})
	if !errors.As(err, &f) || !f.RetryAt.Equal(r.clk.Now().Add(2*TransientInitial)) {
		t.Fatalf("%v: want a retry at +2s", err)
	}
	r.proxy.Reset()
	r.clk.Step(2 * TransientInitial)
	if got := r.ensurePods(t, image, 10); got[""] != 10 {
		t.Fatalf("registry back: %v, want 10 pulled", got)
	}
	if r.transientDelayCap() != TransientMax {
		t.Fatalf("cap %v", r.transientDelayCap())
	}
}

func (r *retryRig) transientDelayCap() time.Duration { return r.pl.transientDelay(50) }

// TestSmartRateLimitedWaitsRetryAfter: a 429 with Retry-After: 7 holds the
// image exactly 7 s.
func TestSmartRateLimitedWaitsRetryAfter(t *testing.T) {
	t.Parallel()
	r := newRetryRig(t, RetrySmart)
	testimage.Push(t, testimage.Random(t, 1, 1024), r.reg.Ref("a/b:1"), nil)
	image := r.host + "/a/b:1"
	r.proxy.Add(faultproxy.Rule{Path: "/manifests/", Fault: faultproxy.Fault{Kind: faultproxy.Status, Code: 429, RetryAfter: "7"}})
	r.ensurePods(t, image, 3)
	h := r.pl.Holds()
	hold, ok := h[strings.TrimPrefix(image, "")]
	if !ok || hold.Cause != cause.RateLimited.Reason() || !hold.Until.Equal(r.clk.Now().Add(7*time.Second)) {
		t.Fatalf("holds %v, want RateLimited until +7s", h)
	}
	n := r.manifestRequests()
	r.clk.Step(7*time.Second - time.Millisecond)
	r.ensurePods(t, image, 3)
	if r.manifestRequests() != n {
		t.Fatalf("requests sent before Retry-After passed")
	}
}

// TestRetryTriggers: each trigger releases the hold and says so.
func TestRetryTriggers(t *testing.T) {
	t.Parallel()
	r := newRetryRig(t, RetrySmart)
	image := r.host + "/a/b:9"
	r.ensurePods(t, image, 2)
	if n := r.pl.RetryRepository(r.host+"/a/other", TriggerPush); n != 0 {
		t.Fatalf("a push of another repository released %d", n)
	}
	if n := r.pl.RetryRepository(r.host+"/a/b", TriggerPush); n != 1 {
		t.Fatalf("push released %d holds, want 1", n)
	}
	r.ensurePods(t, image, 2)
	if n := r.pl.RetryRegistry(r.host, TriggerRegistryBack); n != 1 {
		t.Fatalf("registry back released %d", n)
	}
	r.ensurePods(t, image, 2)
	r.pl.RetryWaiter("pod-1", TriggerManual)
	r.pl.RetryWaiter("nobody", TriggerManual)
	got := r.retries()
	want := []Trigger{TriggerPush, TriggerRegistryBack, TriggerManual, TriggerManual}
	if len(got) != len(want) {
		t.Fatalf("retries %v", got)
	}
	for i := range want {
		if got[i].Trigger != want[i] {
			t.Fatalf("retry %d by %q, want %q", i, got[i].Trigger, want[i])
		}
	}
	if len(got[2].Waiters) != 2 || got[3].Waiters[0] != "nobody" {
		t.Fatalf("retry pod: %v", got[2:])
	}
}

// TestRegistryBackProbe: an image held because its registry does not
// answer has its host probed (500ms, then growing); the first answer
// releases the pods at once.
func TestRegistryBackProbe(t *testing.T) {
	t.Parallel()
	var up atomic.Bool
	probed := make(chan string, 10)
	s, err := ocilayout.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC))
	released := make(chan Retried, 1)
	pl := New(s, registry.New(registry.Options{Retry: registry.RetryPolicy{Attempts: 1}, Clock: clk}), WithClock(clk), WithRetry(RetryOptions{
		Recheck: recheck.Options{Jitter: -1},
		Probes:  recheck.Options{Initial: 500 * time.Millisecond, Max: 5 * time.Second, Jitter: -1},
		Probe: func(_ context.Context, host string) error {
			probed <- host
			if !up.Load() {
				return errors.New("down")
			}
			return nil
		},
		OnRetry: func(r Retried) { released <- r },
	}))
	image := "127.0.0.1:1/a/b:1" // nothing listens on port 1
	_, err = pl.Ensure(t.Context(), EnsureRequest{Image: image, BackoffKey: "p_" + image, Waiter: "p"})
	if !errors.Is(err, cause.RegistryUnreachable) {
		t.Fatalf("%v, want RegistryUnreachable", err)
	}
	go func() { _ = pl.RunRechecks(t.Context()) }()
	waitFor(t, "probe registered", func() bool { clk.Step(500 * time.Millisecond); return len(probed) > 0 })
	if h := <-probed; h != "127.0.0.1:1" {
		t.Fatalf("probed %q", h)
	}
	up.Store(true)
	var r Retried
	waitFor(t, "release", func() bool {
		clk.Step(time.Second)
		select {
		case r = <-released:
			return true
		default:
			return false
		}
	})
	if r.Trigger != TriggerRegistryBack || len(r.Waiters) != 1 || r.Waiters[0] != "p" {
		t.Fatalf("released %+v", r)
	}
	if len(pl.Holds()) != 0 {
		t.Fatalf("holds left: %v", pl.Holds())
	}
}

// TestRetryMetrics: pods waiting by cause, failed and successful pulls and
// the recovery time by trigger reach the metrics.
func TestRetryMetrics(t *testing.T) {
	t.Parallel()
	r := newRetryRig(t, RetrySmart)
	m := metrics.New()
	r.pl.metrics = m
	image := r.host + "/a/b:3"
	r.ensurePods(t, image, 4)
	if v := gauge(t, m, "pullwarden_pods_waiting", "TagNotFound"); v != 4 {
		t.Fatalf("pods waiting on TagNotFound = %v, want 4", v)
	}
	testimage.Push(t, testimage.Random(t, 1, 1024), r.reg.Ref("a/b:3"), nil)
	r.pl.RetryImage(image, TriggerManual)
	r.clk.Step(1500 * time.Millisecond)
	r.ensurePods(t, image, 4)
	if v := gauge(t, m, "pullwarden_pods_waiting", "TagNotFound"); v != 0 {
		t.Fatalf("pods waiting after the pull = %v, want 0", v)
	}
	text := exposition(t, m)
	for _, want := range []string{
		`pullwarden_recovery_seconds_sum{trigger="retry_command"} 1.5`,
		`pullwarden_pulls_total{cause="TagNotFound",result="failure"} 1`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q:\n%s", want, text)
		}
	}
}

func exposition(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	return rec.Body.String()
}

func gauge(t *testing.T, m *metrics.Metrics, name, cause string) float64 {
	t.Helper()
	fams, err := m.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, mm := range f.GetMetric() {
			for _, l := range mm.GetLabel() {
				if l.GetValue() == cause {
					return mm.GetGauge().GetValue()
				}
			}
		}
	}
	return -1
}

// TestTwoHundredPodsOneImage: 200 pods starting together on one image cost
// one manifest GET and one GET per blob at the registry.
func TestTwoHundredPodsOneImage(t *testing.T) {
	t.Parallel()
	r := newRetryRig(t, RetrySmart)
	testimage.Push(t, testimage.Random(t, 3, 32<<10), r.reg.Ref("a/b:1"), nil)
	image := r.host + "/a/b:1"
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := range 200 {
		wg.Go(func() {
			uid := fmt.Sprintf("pod-%d", i)
			if _, err := r.pl.Ensure(t.Context(), EnsureRequest{Image: image, BackoffKey: uid + "_" + image, Waiter: uid}); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	gets := 0
	for _, q := range r.proxy.Requests() {
		if q.Method == "GET" && strings.Contains(q.Path, "/manifests/") {
			gets++
		}
	}
	if gets != 1 {
		t.Errorf("%d manifest GETs for 200 pods, want 1", gets)
	}
	if n := blobGETs(r.proxy); n != 4 {
		t.Errorf("%d blob GETs, want 4 (3 layers and the config)", n)
	}
}

// TestForgetRemovedPod: a deleted pod no longer counts as waiting, and
// the hold goes with its last pod.
func TestForgetRemovedPod(t *testing.T) {
	t.Parallel()
	r := newRetryRig(t, RetrySmart)
	image := r.host + "/a/b:7"
	r.ensurePods(t, image, 2)
	r.pl.Forget("pod-0")
	if h := r.pl.Holds()[image]; len(h.Waiters) != 1 || h.Waiters[0] != "pod-1" {
		t.Fatalf("after forgetting pod-0: %+v", h)
	}
	r.pl.Forget("pod-1")
	if len(r.pl.Holds()) != 0 {
		t.Fatalf("hold kept without pods: %v", r.pl.Holds())
	}
}

// TestHoldPerCredential: pods refused with one credential hold the image
// for that credential only; a pod with other credentials still pulls.
func TestHoldPerCredential(t *testing.T) {
	t.Parallel()
	r := newRetryRig(t, RetrySmart)
	image := r.host + "/a/b:5"
	wrong := staticRing{{Source: "secret default/wrong", AuthConfig: authn.AuthConfig{Username: "u", Password: "wrong"}}}
	_, err := r.pl.Ensure(t.Context(), EnsureRequest{Image: image, BackoffKey: "a_" + image, Waiter: "a", Keyring: wrong})
	var f *Failure
	if !errors.As(err, &f) || f.Reason != reason.ErrImagePull {
		t.Fatalf("pod with a credential: %v", err)
	}
	// An anonymous pod is not held by the other pod's hold: it pulls.
	_, err = r.pl.Ensure(t.Context(), EnsureRequest{Image: image, BackoffKey: "b_" + image, Waiter: "b"})
	if !errors.As(err, &f) || f.Reason != reason.ErrImagePull {
		t.Fatalf("anonymous pod: %v, want its own attempt (ErrImagePull)", err)
	}
	_, err = r.pl.Ensure(t.Context(), EnsureRequest{Image: image, BackoffKey: "c_" + image, Waiter: "c", Keyring: wrong})
	if !errors.As(err, &f) || f.Reason != reason.ImagePullBackOff {
		t.Fatalf("second pod with the same credential: %v, want ImagePullBackOff", err)
	}
}

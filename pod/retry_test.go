package pod

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/pullwarden/pullwarden/internal/testimage"
	"github.com/pullwarden/pullwarden/internal/testregistry"
	"github.com/pullwarden/pullwarden/pull"
	"github.com/pullwarden/pullwarden/reason"
	"github.com/pullwarden/pullwarden/registry"
)

// TestSmartRetryPodRunsAtOnce: under the smart policy a pod on a missing
// tag waits with a message naming the cause and the fix; `retry pod` after
// the push leaves a PullRetried event, pokes the worker, and the next sync
// runs the pod without waiting out any backoff.
func TestSmartRetryPodRunsAtOnce(t *testing.T) {
	f := newFixture(t)
	f.retry = pull.RetrySmart
	f.m = f.newManager()
	image := f.missingTag("app/later")
	p := newPod("p", corev1.Container{Name: "app", Image: image, Command: []string{"sleep"}})
	w := newWorker(f.m, p)
	f.m.workers[p.UID] = w
	st, _ := f.sync(w)
	if wt := waitingOf(st, "app"); wt.Reason != reason.ErrImagePull || !strings.Contains(wt.Message, "fix: ") {
		t.Fatalf("first failure: %+v", wt)
	}
	st, _ = f.sync(w)
	if wt := waitingOf(st, "app"); wt.Reason != reason.ImagePullBackOff || !strings.Contains(wt.Message, "TagNotFound") {
		t.Fatalf("held: %+v", wt)
	}
	f.push("app/later:v1")
	f.puller.RetryWaiter(string(p.UID), pull.TriggerManual)
	select {
	case <-w.wake:
	default:
		t.Fatal("retry did not poke the pod's worker")
	}
	want := "Normal " + reason.PullRetried(image, string(pull.TriggerManual))
	if got := f.eventsWith(reason.EventPullRetried); got[want] != 1 {
		t.Fatalf("PullRetried events %v, want %q", got, want)
	}
	st, _ = f.sync(w) // no clock step: no backoff to wait out
	if st.Phase != corev1.PodRunning {
		t.Fatalf("after retry: phase %s, %+v", st.Phase, st.ContainerStatuses[0].State)
	}
}

// TestRetryPolicyAnnotation: a pod annotated with the kubelet policy on a
// smart agent keeps the kubelet's waiting message and backoff.
func TestRetryPolicyAnnotation(t *testing.T) {
	f := newFixture(t)
	f.retry = pull.RetrySmart
	f.m = f.newManager()
	image := f.missingTag("app/missing")
	p := newPod("p", corev1.Container{Name: "app", Image: image, Command: []string{"sleep"}})
	p.Annotations = map[string]string{pull.RetryPolicyAnnotation: "kubelet"}
	w := newWorker(f.m, p)
	f.sync(w)
	st, _ := f.sync(w)
	wt := waitingOf(st, "app")
	if wt.Reason != reason.ImagePullBackOff || !strings.HasPrefix(wt.Message, reason.BackOffPulling(image)+": ErrImagePull: TagNotFound: ") {
		t.Fatalf("kubelet-annotated pod: %+v", wt)
	}
	if len(f.puller.Holds()) != 0 {
		t.Fatalf("kubelet-annotated pod made a smart hold: %v", f.puller.Holds())
	}
}

// TestSmartTransientResyncsSooner: a transient failure makes the worker
// come back when the short backoff ends, not after the 10 s resync.
func TestSmartTransientResyncsSooner(t *testing.T) {
	f := newFixture(t)
	f.retry = pull.RetrySmart
	f.regOpts = registry.Options{Retry: registry.RetryPolicy{Attempts: 1}}
	f.m = f.newManager()
	f.reg.Stop()
	p := newPod("p", corev1.Container{Name: "app", Image: f.reg.Ref("app/x:1"), Command: []string{"sleep"}})
	w := newWorker(f.m, p)
	_, d := f.sync(w)
	if d > pull.TransientInitial || d <= 0 {
		t.Fatalf("resync after %v, want at most %v", d, pull.TransientInitial)
	}
}

// TestPulledEventNamesMirror: when a hosts.toml mirror serves the image,
// the Pulled event says so.
func TestPulledEventNamesMirror(t *testing.T) {
	f := newFixture(t)
	mirror := testregistry.StartInProcess(t)
	root := t.TempDir()
	dir := filepath.Join(root, f.reg.Host)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "hosts.toml"), []byte("[host.\"http://"+mirror.Host+"\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	testimage.Push(t, testimage.Random(t, 1, 1024), mirror.Ref("app/m:1"), nil)
	f.pullOpts = []pull.Option{pull.WithMirrors(root, nil)}
	f.m = f.newManager()
	image := f.reg.Ref("app/m:1")
	w := newWorker(f.m, newPod("p", corev1.Container{Name: "app", Image: image, Command: []string{"sleep"}}))
	if st, _ := f.sync(w); st.Phase != corev1.PodRunning {
		t.Fatalf("phase %s: %+v", st.Phase, st.ContainerStatuses)
	}
	found := false
	for m := range f.eventsWith(reason.EventPulled) {
		found = found || strings.HasSuffix(m, reason.ServedByMirror(mirror.Host))
	}
	if !found {
		t.Fatalf("no Pulled event naming the mirror: %v", f.eventsWith(reason.EventPulled))
	}
}

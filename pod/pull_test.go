package pod

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/pullwarden/pullwarden/reason"
)

func waitingOf(s corev1.PodStatus, name string) *corev1.ContainerStateWaiting {
	for _, c := range append(append([]corev1.ContainerStatus{}, s.InitContainerStatuses...), s.ContainerStatuses...) {
		if c.Name == name {
			return c.State.Waiting
		}
	}
	return nil
}

// TestMissingTagBackoffTiming steps the kubelet's loop with a fake clock:
// pulls happen at the first sync after each backoff window (10, 20, 40, 80,
// 160 s), syncs come every 10-15 s, so each gap between pulls is at least
// the window and less than window + 15 s (KUBELET_SEMANTICS 4 and 10).
func TestMissingTagBackoffTiming(t *testing.T) {
	f := newFixture(t)
	image := f.missingTag("app/missing")
	w := newWorker(f.m, newPod("p", corev1.Container{Name: "app", Image: image, ImagePullPolicy: corev1.PullIfNotPresent}))
	start := f.clk.Now()
	var pulls []time.Duration
	var statuses []string
	for f.clk.Since(start) < 400*time.Second {
		st, d := f.sync(w)
		// A sync that pulled reports ErrImagePull; one inside the window
		// ImagePullBackOff. (Events cannot count pulls: the kubelet's spam
		// filter drops them after 25.)
		if waitingOf(st, "app").Reason == reason.ErrImagePull {
			pulls = append(pulls, f.clk.Since(start))
		}
		statuses = append(statuses, waitingOf(st, "app").Reason)
		// The first sync created the sandbox: the kubelet's PLEG sees it
		// and syncs again a relist period later.
		if len(statuses) == 1 && d != RelistPeriod {
			t.Fatalf("delay after the sandbox was created %v, want the relist period", d)
		}
		if len(statuses) > 1 && (d < 10*time.Second || d > 15*time.Second) {
			t.Fatalf("resync delay %v outside the kubelet's 10-15 s", d)
		}
		f.clk.Step(d)
	}
	windows := []time.Duration{10, 20, 40, 80, 160}
	if len(pulls) < len(windows)+1 {
		t.Fatalf("pull times %v: want at least %d pulls", pulls, len(windows)+1)
	}
	for i, win := range windows {
		gap := pulls[i+1] - pulls[i]
		if gap < win*time.Second || gap >= (win+15)*time.Second {
			t.Errorf("pull %d came %v after pull %d; want within [%ds, %ds)", i+2, gap, i+1, win, win+15)
		}
	}
	// KUBELET_SEMANTICS 10: failures at about 0, 15, 40-45, 80-95, 166-182 s.
	if pulls[0] != 0 || pulls[4] < 150*time.Second || pulls[4] > 200*time.Second {
		t.Errorf("pull times %v do not match the kubelet's observed 0 ... 166-182 s", pulls)
	}
	// As a kubelet 1.37 did side by side (make compare): ErrImagePull,
	// then ImagePullBackOff at the sync a second later, then flipping.
	if statuses[0] != reason.ErrImagePull || statuses[1] != reason.ImagePullBackOff || statuses[2] != reason.ErrImagePull {
		t.Errorf("STATUS sequence %v: want ErrImagePull, ImagePullBackOff, ErrImagePull, ...", statuses[:4])
	}
}

func TestPullFailureStatusAndEvents(t *testing.T) {
	f := newFixture(t)
	image := f.missingTag("app/missing")
	w := newWorker(f.m, newPod("p", corev1.Container{Name: "app", Image: image, ImagePullPolicy: corev1.PullIfNotPresent}))

	st, _ := f.sync(w)
	wt := waitingOf(st, "app")
	if wt.Reason != reason.ErrImagePull || !strings.HasPrefix(wt.Message, "TagNotFound: ") {
		t.Fatalf("waiting after a failed pull = %+v", wt)
	}
	if st.Phase != corev1.PodPending {
		t.Fatalf("phase %s", st.Phase)
	}
	f.clk.Step(5 * time.Second)
	st, _ = f.sync(w)
	wt = waitingOf(st, "app")
	want := `Back-off pulling image "` + image + `": ErrImagePull: TagNotFound: `
	if wt.Reason != reason.ImagePullBackOff || !strings.HasPrefix(wt.Message, want) {
		t.Fatalf("waiting inside the backoff = %+v, want message prefix %q", wt, want)
	}
	for why, msgs := range map[string][]string{
		reason.EventPulling: {"Normal " + reason.PullingImage(image)},
		reason.EventFailed: {
			"Warning Failed to pull image \"" + image + "\": TagNotFound: ",
			"Warning Error: ErrImagePull",
			"Warning Error: ImagePullBackOff",
		},
		reason.EventBackOff: {"Normal " + reason.BackOffPulling(image)},
	} {
		got := f.eventsWith(why)
		for _, m := range msgs {
			found := false
			for g := range got {
				if strings.HasPrefix(g, m) {
					found = true
				}
			}
			if !found {
				t.Errorf("no %s event starting %q in %v", why, m, got)
			}
		}
	}
}

func TestTagPushedAfterFailureStartsAfterBackoff(t *testing.T) {
	f := newFixture(t)
	image := f.reg.Ref("app/later:v1")
	w := newWorker(f.m, newPod("p", corev1.Container{Name: "app", Image: image, Command: []string{"sleep"}}))
	f.sync(w) // fails: tag missing
	f.push("app/later:v1")
	f.clk.Step(5 * time.Second)
	st, _ := f.sync(w) // still inside the 10 s window: no retry
	if waitingOf(st, "app").Reason != reason.ImagePullBackOff {
		t.Fatalf("inside the window: %+v", waitingOf(st, "app"))
	}
	f.clk.Step(6 * time.Second)
	st, _ = f.sync(w)
	if st.Phase != corev1.PodRunning || st.ContainerStatuses[0].State.Running == nil {
		t.Fatalf("after the window: phase %s, state %+v", st.Phase, st.ContainerStatuses[0].State)
	}
	pulled := f.eventsWith(reason.EventPulled)
	ok := false
	for m := range pulled {
		ok = ok || strings.HasPrefix(m, `Normal Successfully pulled image "`+image+`" in `) && strings.Contains(m, "Image size: ")
	}
	if !ok {
		t.Fatalf("no Successfully pulled event: %v", pulled)
	}
	if len(f.eventsWith(reason.EventStarted)) != 1 || len(f.eventsWith(reason.EventCreated)) != 1 {
		t.Fatalf("Created/Started events missing: %v", f.events.List())
	}
}

func TestNeverAndInvalidAreNotBackedOff(t *testing.T) {
	f := newFixture(t)
	never := f.reg.Ref("app/absent:v1")
	w := newWorker(f.m, newPod("p",
		corev1.Container{Name: "never", Image: never, ImagePullPolicy: corev1.PullNever},
		corev1.Container{Name: "bad", Image: "Bad:Name", ImagePullPolicy: corev1.PullIfNotPresent},
	))
	for range 3 {
		st, _ := f.sync(w)
		if r := waitingOf(st, "never"); r.Reason != reason.ErrImageNeverPull || r.Message != reason.NeverPull(never) {
			t.Fatalf("never: %+v", r)
		}
		if r := waitingOf(st, "bad"); r.Reason != reason.InvalidImageName || !strings.HasPrefix(r.Message, `Failed to apply default image tag "Bad:Name": `) {
			t.Fatalf("bad: %+v", r)
		}
		f.clk.Step(time.Second)
	}
	if f.m.pulls.Len() != 0 {
		t.Fatalf("backoff entries for errors that are not pull failures: %d", f.m.pulls.Len())
	}
	if len(f.eventsWith(reason.EventPulling)) != 0 {
		t.Fatal("a pull was attempted")
	}
	if got := f.eventsWith(reason.EventErrImageNeverPull); got["Warning "+reason.NeverPull(never)] != 3 {
		t.Fatalf("ErrImageNeverPull events %v: want one aggregated event with count 3", got)
	}
}

func TestPresentImageIsNotPulledAgain(t *testing.T) {
	f := newFixture(t)
	image := f.push("app/here:v1")
	w1 := newWorker(f.m, newPod("a", corev1.Container{Name: "c", Image: image, ImagePullPolicy: corev1.PullIfNotPresent, Command: []string{"sleep"}}))
	f.sync(w1)
	w2 := newWorker(f.m, newPod("b", corev1.Container{Name: "c", Image: image, ImagePullPolicy: corev1.PullIfNotPresent, Command: []string{"sleep"}}))
	st, _ := f.sync(w2)
	if st.Phase != corev1.PodRunning {
		t.Fatalf("phase %s", st.Phase)
	}
	if got := f.eventsWith(reason.EventPulled)["Normal "+reason.AlreadyPresentAccessible(image)]; got != 1 {
		t.Fatalf("already-present events: %v", f.eventsWith(reason.EventPulled))
	}
}

// TestMissingPullSecretWarnsAndPulls: the pull goes ahead with a missing
// secret; as in 1.37 the warning names the secret without its namespace and
// comes only after a sync whose pull failed, after its Failed events.
func TestMissingPullSecretWarnsAndPulls(t *testing.T) {
	f := newFixture(t)
	image := f.push("app/public:v1")
	p := newPod("p", corev1.Container{Name: "c", Image: image, Command: []string{"sleep"}})
	p.Spec.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "gone"}}
	st, _ := f.sync(newWorker(f.m, p))
	if st.Phase != corev1.PodRunning {
		t.Fatalf("pull did not go ahead: phase %s", st.Phase)
	}
	if got := f.eventsWith(reason.EventFailedToRetrieveImagePullSecret); len(got) != 0 {
		t.Fatalf("warning after a successful pull: %v", got)
	}

	missing := f.missingTag("app/missing")
	q := newPod("q", corev1.Container{Name: "c", Image: missing})
	q.Spec.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "regcred"}}
	w := newWorker(f.m, q)
	f.sync(w)
	want := "Warning " + reason.FailedToRetrieveImagePullSecret([]string{"regcred"})
	if want != "Warning Unable to retrieve some image pull secrets (regcred); attempting to pull the image may not succeed." {
		t.Fatalf("message %q", want)
	}
	if got := f.eventsWith(reason.EventFailedToRetrieveImagePullSecret)[want]; got != 1 {
		t.Fatalf("after a failed pull: %d %q events: %v", got, want, f.eventsWith(reason.EventFailedToRetrieveImagePullSecret))
	}
	var order []string
	for _, e := range f.events.List() {
		if e.InvolvedObject.Name == "q" {
			order = append(order, e.Reason+" "+e.Message)
		}
	}
	if len(order) != 4 || !strings.HasPrefix(order[0], "Pulling ") || !strings.HasPrefix(order[1], "Failed Failed to pull image") ||
		order[2] != "Failed Error: ErrImagePull" || !strings.HasPrefix(order[3], "FailedToRetrieveImagePullSecret ") {
		t.Fatalf("event order %q: want Pulling, Failed, Failed, FailedToRetrieveImagePullSecret", order)
	}
	f.clk.Step(2 * time.Second)
	f.sync(w) // inside the backoff window: no pull, no warning
	if got := f.eventsWith(reason.EventFailedToRetrieveImagePullSecret)[want]; got != 1 {
		t.Fatalf("a sync without a pull warned again: count %d", got)
	}
}

func TestBackoffSurvivesRestart(t *testing.T) {
	f := newFixture(t)
	image := f.missingTag("app/missing")
	p := newPod("p", corev1.Container{Name: "app", Image: image, ImagePullPolicy: corev1.PullIfNotPresent})
	w := newWorker(f.m, p)
	f.sync(w)
	f.clk.Step(11 * time.Second)
	f.sync(w) // second failure: window 20 s
	f.clk.Step(5 * time.Second)

	f.m = f.newManager() // a restarted agent
	w = newWorker(f.m, p)
	st, _ := f.sync(w)
	wt := waitingOf(st, "app")
	if wt.Reason != reason.ImagePullBackOff || !strings.Contains(wt.Message, "ErrImagePull: TagNotFound") {
		t.Fatalf("after restart: %+v; want the backoff and last error restored", wt)
	}
	if d := f.m.pulls.Get(backoffKey(p, image)); d != 20*time.Second {
		t.Fatalf("restored window %v, want 20s", d)
	}
}

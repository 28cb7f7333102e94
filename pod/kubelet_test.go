package pod

import (
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/pullwarden/pullwarden/printer"
	"github.com/pullwarden/pullwarden/pull"
	"github.com/pullwarden/pullwarden/reason"
)

// kubectlStatus is the STATUS column of `kubectl get pods` for a status.
func kubectlStatus(w *worker, s corev1.PodStatus) string {
	return printer.PodStatus(&corev1.Pod{Spec: w.current().Spec, Status: s})
}

// TestStatusWrittenAtStartOfSync: the kubelet writes a pod's status at the
// start of a sync, so a new pod shows ContainerCreating during its first
// pull (not Pending), and PodInitializing while the app image is pulled
// after the init containers finished (not Init:0/1).
func TestStatusWrittenAtStartOfSync(t *testing.T) {
	f := newFixture(t)
	app := f.push("app/busy:v1")
	initImage := f.push("app/init:v1")
	var seen []string
	var w *worker
	f.onPull = func(req pull.EnsureRequest) { seen = append(seen, req.Image+" "+kubectlStatus(w, f.written(w))) }

	w = newWorker(f.m, newPod("p", corev1.Container{Name: "app", Image: app, Command: []string{"sleep"}}))
	f.sync(w)
	if want := []string{app + " ContainerCreating"}; !slices.Equal(seen, want) {
		t.Fatalf("STATUS during the first pull: %q, want %q", seen, want)
	}
	f.sync(w)
	if got := kubectlStatus(w, f.written(w)); got != "Running" {
		t.Fatalf("STATUS at the next sync: %s", got)
	}

	seen = nil
	p := newPod("q", corev1.Container{Name: "app", Image: f.push("app/other:v1"), Command: []string{"sleep"}})
	p.Spec.InitContainers = []corev1.Container{{Name: "init", Image: initImage, Command: []string{"exit", "0"}}}
	w = newWorker(f.m, p)
	f.sync(w) // pulls and runs init, which exits 0
	f.sync(w) // pulls app
	want := []string{initImage + " Init:0/1", p.Spec.Containers[0].Image + " PodInitializing"}
	if !slices.Equal(seen, want) {
		t.Fatalf("STATUS during the pulls: %q, want %q", seen, want)
	}
}

// TestWaitingReasonTrailsBySync: a failed pull shows as ErrImagePull at the
// next sync, and the reason flips at every sync (kubelet 1.37 observed).
func TestWaitingReasonTrailsBySync(t *testing.T) {
	f := newFixture(t)
	image := f.missingTag("app/missing")
	w := newWorker(f.m, newPod("p", corev1.Container{Name: "app", Image: image}))
	var written, outcome []string
	for range 8 {
		st, d := f.sync(w)
		written = append(written, kubectlStatus(w, f.written(w)))
		outcome = append(outcome, kubectlStatus(w, st))
		f.clk.Step(d)
	}
	if written[0] != "ContainerCreating" {
		t.Fatalf("first STATUS %q, want ContainerCreating", written[0])
	}
	for i := 1; i < len(written); i++ {
		if written[i] != outcome[i-1] {
			t.Fatalf("STATUS written at sync %d is %q, want the outcome of sync %d, %q (written %q, outcomes %q)",
				i+1, written[i], i, outcome[i-1], written, outcome)
		}
	}
	if !slices.Contains(written, "ErrImagePull") || !slices.Contains(written, "ImagePullBackOff") {
		t.Fatalf("STATUS sequence %q", written)
	}
}

// TestKubelet137StatusFields: observedGeneration on the status and every
// condition; a completed init container is ready.
func TestKubelet137StatusFields(t *testing.T) {
	f := newFixture(t)
	image := f.push("app/busy:v1")
	p := newPod("p", corev1.Container{Name: "app", Image: image, Command: []string{"sleep"}})
	p.Generation = 3
	p.Spec.InitContainers = []corev1.Container{{Name: "init", Image: image, Command: []string{"exit", "0"}}}
	w := newWorker(f.m, p)
	f.sync(w)
	f.sync(w)
	st := f.written(w)
	if st.ObservedGeneration != 3 {
		t.Errorf("status.observedGeneration = %d, want 3", st.ObservedGeneration)
	}
	for _, c := range st.Conditions {
		if c.ObservedGeneration != 3 {
			t.Errorf("condition %s observedGeneration = %d, want 3", c.Type, c.ObservedGeneration)
		}
	}
	if ic := st.InitContainerStatuses[0]; ic.State.Terminated == nil || !ic.Ready {
		t.Errorf("completed init container: ready %v state %+v, want ready", ic.Ready, ic.State)
	}
}

// TestCreatedStartedTexts: the 1.37 texts name no container.
func TestCreatedStartedTexts(t *testing.T) {
	f := newFixture(t)
	w := newWorker(f.m, newPod("p", corev1.Container{Name: "app", Image: f.push("app/busy:v1"), Command: []string{"sleep"}}))
	f.sync(w)
	if f.eventsWith(reason.EventCreated)["Normal Container created"] != 1 || f.eventsWith(reason.EventStarted)["Normal Container started"] != 1 {
		t.Fatalf("Created/Started events: %v %v", f.eventsWith(reason.EventCreated), f.eventsWith(reason.EventStarted))
	}
}

// TestStatusWrittenOnlyWhenChanged: a running pod's status is written once,
// not at every sync, and a condition's lastTransitionTime moves only when
// its status does.
func TestStatusWrittenOnlyWhenChanged(t *testing.T) {
	f := newFixture(t)
	p := newPod("p", corev1.Container{Name: "app", Image: f.push("app/busy:v1"), Command: []string{"sleep"}})
	w := newWorker(f.m, p)
	f.sync(w)
	f.clk.Step(time.Second)
	f.sync(w) // writes Running
	running := f.written(w)
	writes := f.objects.writes[p.UID]
	for range 10 {
		f.clk.Step(time.Second)
		f.sync(w)
	}
	if got := f.objects.writes[p.UID]; got != writes {
		t.Fatalf("%d status writes in 10 syncs of an unchanged pod, want 0", got-writes)
	}
	sched := conditionOf(running, corev1.PodScheduled)
	if first := f.clk.Now().Add(-11 * time.Second); !sched.LastTransitionTime.Time.Equal(first) {
		t.Errorf("PodScheduled lastTransitionTime %v, want the first sync's %v", sched.LastTransitionTime, first)
	}
	// The container exits: only the conditions whose status changed move.
	f.exit(w, "app", 1)
	f.clk.Step(time.Second)
	f.sync(w)
	after := f.written(w)
	if !conditionOf(after, corev1.PodScheduled).LastTransitionTime.Time.Equal(sched.LastTransitionTime.Time) {
		t.Errorf("PodScheduled moved: %v -> %v", sched.LastTransitionTime, conditionOf(after, corev1.PodScheduled).LastTransitionTime)
	}
	if r := conditionOf(after, corev1.PodReady); r.Status != corev1.ConditionFalse || !r.LastTransitionTime.Time.Equal(f.clk.Now().Truncate(time.Second)) {
		t.Errorf("Ready after the exit: %+v", r)
	}
}

// TestPodScheduledKeepsBindingTime: the PodScheduled condition the binding
// wrote keeps its time.
func TestPodScheduledKeepsBindingTime(t *testing.T) {
	f := newFixture(t)
	p := newPod("p", corev1.Container{Name: "app", Image: f.push("app/busy:v1"), Command: []string{"sleep"}})
	bound := f.clk.Now().Add(-time.Hour)
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: metaTime(bound)}}
	w := newWorker(f.m, p)
	f.sync(w)
	if got := conditionOf(f.written(w), corev1.PodScheduled).LastTransitionTime; !got.Time.Equal(bound) {
		t.Fatalf("PodScheduled at %v, want the binding's %v", got, bound)
	}
}

func conditionOf(s corev1.PodStatus, t corev1.PodConditionType) corev1.PodCondition {
	for _, c := range s.Conditions {
		if c.Type == t {
			return c
		}
	}
	return corev1.PodCondition{}
}

// TestImageChangeRestartsContainer: a changed image kills the running
// container and starts it from the new image, whatever the restart policy,
// also after an agent restart.
func TestImageChangeRestartsContainer(t *testing.T) {
	for _, policy := range []corev1.RestartPolicy{corev1.RestartPolicyAlways, corev1.RestartPolicyNever} {
		t.Run(string(policy), func(t *testing.T) {
			f := newFixture(t)
			v1, v2 := f.push("app/busy:v1"), f.push("app/busy:v2")
			p := newPod("p", corev1.Container{Name: "app", Image: v1, Command: []string{"sleep"}})
			p.Spec.RestartPolicy = policy
			w := newWorker(f.m, p)
			f.sync(w)
			f.clk.Step(time.Second) // a new recorder names its events from the clock
			f.m = f.newManager()    // the change must also be seen by a restarted agent
			w = newWorker(f.m, p)
			f.sync(w)
			if n := len(f.rt.startOrder()); n != 1 {
				t.Fatalf("%d starts before the change", n)
			}

			changed := p.DeepCopy()
			changed.Spec.Containers[0].Image = v2
			changed.Generation = 2
			w.update(changed)
			st, _ := f.sync(w)
			cs := st.ContainerStatuses[0]
			if cs.RestartCount != 1 || cs.State.Running == nil || cs.Image != v2 || cs.ImageID != f.rt.imageOf(w, "app") {
				t.Fatalf("after the change: %+v", cs)
			}
			if lt := cs.LastTerminationState.Terminated; lt == nil || lt.ExitCode != 137 {
				t.Fatalf("last state %+v", cs.LastTerminationState)
			}
			if got := f.eventsWith(reason.EventKilling)["Normal Container app definition changed, will be restarted"]; got != 1 {
				t.Fatalf("Killing events %v", f.eventsWith(reason.EventKilling))
			}
			if f.eventsWith(reason.EventPulling)["Normal "+reason.PullingImage(v2)] != 1 {
				t.Fatalf("no pull of the new image: %v", f.eventsWith(reason.EventPulling))
			}
		})
	}
}

// TestInitImageChangeDoesNotRerun: a completed init container is not run
// again for a changed image, and its status keeps the image it ran, as in
// the kubelet.
func TestInitImageChangeDoesNotRerun(t *testing.T) {
	f := newFixture(t)
	v1, v2 := f.push("app/busy:v1"), f.push("app/busy:v2")
	p := newPod("p", corev1.Container{Name: "app", Image: v1, Command: []string{"sleep"}})
	p.Spec.InitContainers = []corev1.Container{{Name: "init", Image: v1, Command: []string{"exit", "0"}}}
	w := newWorker(f.m, p)
	f.sync(w)
	f.sync(w)
	changed := p.DeepCopy()
	changed.Spec.InitContainers[0].Image = v2
	w.update(changed)
	st, _ := f.sync(w)
	if got := f.rt.startOrder(); !slices.Equal(got, []string{"init", "app"}) {
		t.Fatalf("starts %v", got)
	}
	if st.InitContainerStatuses[0].Image != v1 || st.Phase != corev1.PodRunning {
		t.Fatalf("init status %+v phase %s", st.InitContainerStatuses[0], st.Phase)
	}
}

// TestActiveDeadlineEndsThePod: a running pod whose activeDeadlineSeconds
// is set (or shortened) after it started is killed at the deadline and
// fails with reason DeadlineExceeded.
func TestActiveDeadlineEndsThePod(t *testing.T) {
	f := newFixture(t)
	p := newPod("p", corev1.Container{Name: "app", Image: f.push("app/busy:v1"), Command: []string{"sleep"}})
	w := newWorker(f.m, p)
	f.sync(w)
	f.clk.Step(time.Second)
	f.sync(w)
	changed := p.DeepCopy()
	limit := int64(30)
	changed.Spec.ActiveDeadlineSeconds = &limit
	w.update(changed)
	f.clk.Step(time.Second)
	if _, d := f.sync(w); d <= 0 || d > 2*time.Second {
		t.Fatalf("next sync in %v", d)
	}
	f.clk.Step(28 * time.Second) // 30 s after the start
	f.sync(w)
	if got := f.eventsWith(reason.EventDeadlineExceeded)["Normal "+reason.DeadlineExceededMessage]; got != 1 {
		t.Fatalf("DeadlineExceeded events %v", f.events.List())
	}
	if f.eventsWith(reason.EventKilling)["Normal Stopping container app"] != 1 {
		t.Fatalf("Killing events %v", f.eventsWith(reason.EventKilling))
	}
	f.clk.Step(time.Second)
	if _, d := f.sync(w); d != 0 {
		t.Fatalf("a failed pod synced again in %v", d)
	}
	st := f.written(w)
	if st.Phase != corev1.PodFailed || st.Reason != reason.DeadlineExceeded || st.Message != reason.DeadlineExceededMessage {
		t.Fatalf("status phase %s reason %q message %q", st.Phase, st.Reason, st.Message)
	}
	// kubectl shows the killed container's reason (Error), as for a kubelet.
	if got := kubectlStatus(w, st); got != "Error" {
		t.Fatalf("STATUS %q", got)
	}
}

package pod

import (
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/pullwarden/pullwarden/backoff"
	"github.com/pullwarden/pullwarden/reason"
)

func backoffKey(p *corev1.Pod, image string) string { return backoff.Key(string(p.UID), image) }

func TestInitContainersRunInOrder(t *testing.T) {
	f := newFixture(t)
	image := f.push("app/busy:v1")
	p := newPod("p", corev1.Container{Name: "app", Image: image, Command: []string{"sleep"}})
	p.Spec.InitContainers = []corev1.Container{
		{Name: "init1", Image: image, Command: []string{"exit", "0"}},
		{Name: "init2", Image: image, Command: []string{"sleep"}},
	}
	w := newWorker(f.m, p)
	st, _ := f.sync(w)
	// init1 ran and exited 0 within the sync; init2 is not started yet.
	if st.Phase != corev1.PodPending || waitingOf(st, "app").Reason != reason.PodInitializing {
		t.Fatalf("phase %s app %+v", st.Phase, waitingOf(st, "app"))
	}
	st, _ = f.sync(w) // starts init2, which keeps running
	if got := f.rt.startOrder(); !slices.Equal(got, []string{"init1", "init2"}) {
		t.Fatalf("start order %v", got)
	}
	st, _ = f.sync(w)
	if waitingOf(st, "app").Reason != reason.PodInitializing {
		t.Fatal("app started while init2 runs")
	}
	f.exit(w, "init2", 0)
	st, _ = f.sync(w)
	if got := f.rt.startOrder(); !slices.Equal(got, []string{"init1", "init2", "app"}) {
		t.Fatalf("start order %v", got)
	}
	if st.Phase != corev1.PodRunning {
		t.Fatalf("phase %s", st.Phase)
	}
	for _, c := range st.Conditions {
		if c.Status != corev1.ConditionTrue {
			t.Errorf("condition %s = %s (%s)", c.Type, c.Status, c.Message)
		}
	}
}

func TestFailedInitWithRestartNeverFailsThePod(t *testing.T) {
	f := newFixture(t)
	image := f.push("app/busy:v1")
	p := newPod("p", corev1.Container{Name: "app", Image: image, Command: []string{"sleep"}})
	p.Spec.RestartPolicy = corev1.RestartPolicyNever
	p.Spec.InitContainers = []corev1.Container{{Name: "init", Image: image, Command: []string{"exit", "3"}}}
	w := newWorker(f.m, p)
	st, _ := f.sync(w)
	if _, d := f.sync(w); f.written(w).Phase != corev1.PodFailed || d != 0 {
		t.Fatalf("written phase %s, next sync %v: a failed pod is not synced again", f.written(w).Phase, d)
	}
	if st.Phase != corev1.PodFailed {
		t.Fatalf("phase %s", st.Phase)
	}
	if term := st.InitContainerStatuses[0].State.Terminated; term == nil || term.ExitCode != 3 || term.Reason != "Error" {
		t.Fatalf("init state %+v", st.InitContainerStatuses[0].State)
	}
}

func TestCrashLoopBackOff(t *testing.T) {
	f := newFixture(t)
	image := f.push("app/busy:v1")
	p := newPod("p", corev1.Container{Name: "app", Image: image, Command: []string{"exit", "1"}})
	w := newWorker(f.m, p)
	f.sync(w) // first run exits 1
	st, _ := f.sync(w)
	// Restarted once at once (no backoff yet); it exited again.
	if st.ContainerStatuses[0].RestartCount != 1 {
		t.Fatalf("restart count %d", st.ContainerStatuses[0].RestartCount)
	}
	st, _ = f.sync(w)
	wt := waitingOf(st, "app")
	if wt == nil || wt.Reason != reason.CrashLoopBackOff {
		t.Fatalf("state %+v", st.ContainerStatuses[0].State)
	}
	want := reason.CrashLoopMessage(10*time.Second, "app", reason.PodDesc("p", "default", "uid-p"))
	if wt.Message != want {
		t.Fatalf("message %q, want %q", wt.Message, want)
	}
	if lt := st.ContainerStatuses[0].LastTerminationState.Terminated; lt == nil || lt.ExitCode != 1 {
		t.Fatalf("last state %+v", st.ContainerStatuses[0].LastTerminationState)
	}
	if st.Phase != corev1.PodRunning {
		t.Fatalf("phase %s (restartPolicy Always keeps a crash-looping pod Running)", st.Phase)
	}
	f.clk.Step(11 * time.Second)
	st, _ = f.sync(w)
	if st.ContainerStatuses[0].RestartCount != 2 {
		t.Fatalf("no restart after the window: %+v", st.ContainerStatuses[0])
	}
}

func TestCompletedPodSucceeds(t *testing.T) {
	f := newFixture(t)
	image := f.push("app/busy:v1")
	p := newPod("p", corev1.Container{Name: "job", Image: image, Command: []string{"exit", "0"}})
	p.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
	w := newWorker(f.m, p)
	st, _ := f.sync(w)
	if _, d := f.sync(w); f.written(w).Phase != corev1.PodSucceeded || d != 0 {
		t.Fatalf("written phase %s next %v", f.written(w).Phase, d)
	}
	if term := st.ContainerStatuses[0].State.Terminated; term == nil || term.Reason != "Completed" {
		t.Fatalf("state %+v", st.ContainerStatuses[0].State)
	}
}

func TestAdoptsContainersAfterRestart(t *testing.T) {
	f := newFixture(t)
	image := f.push("app/busy:v1")
	p := newPod("p", corev1.Container{Name: "app", Image: image, Command: []string{"sleep"}})
	f.sync(newWorker(f.m, p))
	f.m = f.newManager()
	st, _ := f.sync(newWorker(f.m, p))
	if st.Phase != corev1.PodRunning || len(f.rt.startOrder()) != 1 {
		t.Fatalf("phase %s, starts %v: the running container was not adopted", st.Phase, f.rt.startOrder())
	}
}

// exit ends the running container of the named spec container.
func (f *fixture) exit(w *worker, name string, code int32) {
	f.rt.mu.Lock()
	defer f.rt.mu.Unlock()
	c := f.rt.containers[w.state.containers[name].id]
	f.rt.exitLocked(c, code)
}

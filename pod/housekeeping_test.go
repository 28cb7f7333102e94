package pod

import (
	"encoding/json"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// savedCrashes is the number of crash-loop entries in the persisted state.
func (f *fixture) savedCrashes() int {
	f.t.Helper()
	b, err := f.objects.GetState(stateKey)
	if err != nil {
		f.t.Fatal(err)
	}
	var p persisted
	if len(b) > 0 {
		if err := json.Unmarshal(b, &p); err != nil {
			f.t.Fatal(err)
		}
	}
	return len(p.Crashes)
}

func TestCrashLoopEntriesOfARemovedPodAreForgotten(t *testing.T) {
	f := newFixture(t)
	image := f.push("app/busy:v1")
	p := newPod("p", corev1.Container{Name: "app", Image: image, Command: []string{"exit", "1"}})
	w := newWorker(f.m, p)
	f.sync(w)
	f.sync(w) // restarted once: one crash-loop entry
	if n := len(f.m.crashes.Snapshot()); n != 1 {
		t.Fatalf("%d crash-loop entries after a restart, want 1", n)
	}
	f.m.mu.Lock()
	f.m.workers[p.UID] = w
	f.m.mu.Unlock()
	f.m.Remove(t.Context(), p.UID)
	if n := len(f.m.crashes.Snapshot()); n != 0 {
		t.Fatalf("%d crash-loop entries after the pod was removed, want 0", n)
	}
	if n := f.savedCrashes(); n != 0 {
		t.Fatalf("%d crash-loop entries persisted after the pod was removed, want 0", n)
	}
}

func TestHousekeepingCollectsExpiredCrashLoopEntries(t *testing.T) {
	f := newFixture(t)
	image := f.push("app/busy:v1")
	p := newPod("p", corev1.Container{Name: "app", Image: image, Command: []string{"exit", "1"}})
	p.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
	w := newWorker(f.m, p)
	f.sync(w)
	f.sync(w)
	f.m.Housekeeping()
	if n := f.savedCrashes(); n != 1 {
		t.Fatalf("%d crash-loop entries persisted, want 1", n)
	}
	// The pod stays but its container stops crashing (no sync restarts it
	// any more); after the backoff's expiry the entry is garbage.
	f.clk.Step(11 * time.Minute)
	f.m.Housekeeping()
	if n := len(f.m.crashes.Snapshot()); n != 0 {
		t.Fatalf("%d crash-loop entries after the expiry, want 0", n)
	}
	if n := f.savedCrashes(); n != 0 {
		t.Fatalf("%d crash-loop entries persisted after the expiry, want 0", n)
	}
}

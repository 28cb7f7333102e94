//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/pullwarden/pullwarden/internal/testimage"
)

// TestAgentRestartMidBackoff stops the agent (SIGTERM, and separately
// SIGKILL) while a pod is in its pull backoff and starts it again on the
// same data dir: the pod keeps its UID and its backoff, and the next pull
// waits for the persisted window.
func TestAgentRestartMidBackoff(t *testing.T) {
	requireReal(t)
	b := startBase(t)
	pause, _ := testImages(t)
	testimage.Push(t, pause, b.reg.Ref("missing/app:1"), nil)
	for name, sig := range map[string]syscall.Signal{"SIGTERM": syscall.SIGTERM, "SIGKILL": syscall.SIGKILL} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			testRestartMidBackoff(t, b, sig)
		})
	}
}

// failedPulls is the number of `Failed to pull image` events (summed
// counts) and the latest of their last timestamps.
func failedPulls(evs []corev1.Event) (int32, time.Time) {
	var n int32
	var last time.Time
	for _, e := range evs {
		if e.Reason == "Failed" && strings.HasPrefix(e.Message, "Failed to pull image ") {
			n += max(e.Count, 1)
			if e.LastTimestamp.After(last) {
				last = e.LastTimestamp.Time
			}
		}
	}
	return n, last
}

func testRestartMidBackoff(t *testing.T, b *base, sig syscall.Signal) {
	a := startAgent(t, b.pauseRef)
	image := b.reg.Ref("missing/app:2")
	const name = "restart-backoff"
	a.Apply(t, podManifest{Name: name, Image: image}.YAML())
	p := a.Pod(t, name)
	if p == nil {
		t.Fatal("pod not stored")
	}
	uid := p.UID

	var failures int32
	var lastFailure time.Time
	waitFor(t, 90*time.Second, "two failed pulls", func() bool {
		failures, lastFailure = failedPulls(a.Events(t, name))
		return failures >= 2
	})
	pullingBefore := countEvents(a.Events(t, name), "Pulling")
	if failures != 2 || pullingBefore != 2 {
		t.Fatalf("before the restart: %d failed pulls, %d Pulling events; want 2 and 2", failures, pullingBefore)
	}
	window := pullBackoff(failures)
	t.Logf("failure #%d at %v; window %v; stopping the agent with %s", failures, lastFailure.Format(time.TimeOnly), window, t.Name()[strings.LastIndex(t.Name(), "/")+1:])

	a.Stop(sig)
	switch sig {
	case syscall.SIGTERM:
		if pid := containerdPid(a.containerdSocket()); pid != 0 {
			t.Errorf("SIGTERM: the private containerd (pid %d) still runs after the agent exited", pid)
		}
	case syscall.SIGKILL:
		if containerdPid(a.containerdSocket()) == 0 {
			t.Errorf("SIGKILL: the private containerd died with the agent; it should outlive it")
		}
	}
	a.Start()
	restarted := time.Now()

	p = a.Pod(t, name)
	if p == nil || p.UID != uid {
		t.Fatalf("after the restart the pod is %v, want UID %s", p, uid)
	}
	if n := sandboxCount(t.Context(), a.containerdSocket()); n != 1 {
		t.Errorf("after the restart there are %d sandboxes, want 1 (adopted or recreated once)", n)
	}
	// Inside the persisted window the first syncs see the backoff.
	if time.Now().Before(lastFailure.Add(window - 2*time.Second)) {
		a.WaitStatus(t, name, "ImagePullBackOff", time.Until(lastFailure.Add(window)))
		r, msg := waiting(a.Pod(t, name), "app")
		if r != "ImagePullBackOff" || !strings.HasPrefix(msg, fmt.Sprintf("Back-off pulling image %q", image)) {
			t.Errorf("after the restart waiting = %q %q, want ImagePullBackOff `Back-off pulling image %q...`", r, msg, image)
		}
		t.Logf("after the restart: waiting %s %q", r, msg)
		if n := countEvents(a.Events(t, name), "Pulling"); n != pullingBefore {
			t.Errorf("Pulling events jumped from %d to %d right after the restart (%v after failure #%d, window %v)",
				pullingBefore, n, restarted.Sub(lastFailure), failures, window)
		}
	} else {
		t.Logf("the restart took until %v after the last failure: the window had nearly ended, no backoff check", restarted.Sub(lastFailure))
	}

	// The next attempt comes no earlier than the persisted window.
	var third *corev1.Event
	waitFor(t, window+60*time.Second, "the third pull attempt", func() bool {
		evs := a.Events(t, name)
		if countEvents(evs, "Pulling") <= pullingBefore {
			return false
		}
		for i := range evs {
			if evs[i].Reason == "Pulling" && (third == nil || evs[i].LastTimestamp.After(third.LastTimestamp.Time)) {
				third = &evs[i]
			}
		}
		return true
	})
	if earliest := lastFailure.Add(window - time.Second); third.LastTimestamp.Time.Before(earliest) {
		t.Errorf("pull attempt #3 at %v, before the persisted window ended (failure #2 at %v + %v)",
			third.LastTimestamp.Time.Format(time.TimeOnly), lastFailure.Format(time.TimeOnly), window)
	}
	if n := countEvents(a.Events(t, name), "Pulling"); n != pullingBefore+1 {
		t.Errorf("Pulling events = %d after the third attempt, want %d", n, pullingBefore+1)
	}
	t.Logf("pull attempt #3 at %v (%v after failure #2)", third.LastTimestamp.Time.Format(time.TimeOnly), third.LastTimestamp.Sub(lastFailure))

	if sig == syscall.SIGKILL {
		// The restarted agent adopted the private containerd the killed one
		// left running; a clean stop must not leave it behind either.
		a.deleteAllPods()
		a.Stop(syscall.SIGTERM)
		if pid := containerdPid(a.containerdSocket()); pid != 0 {
			t.Errorf("after kill -9, restart and SIGTERM the adopted private containerd (pid %d) still runs", pid)
		}
	}
}

package backoff_test

import (
	"testing"
	"time"

	"github.com/pullwarden/pullwarden/backoff"
	"github.com/pullwarden/pullwarden/clock"
)

// TestCrashLoopSequence drives the kubelet's doBackOff logic: at each sync,
// an exited container is restarted unless InBackOff(key, finishedAt).
func TestCrashLoopSequence(t *testing.T) {
	t.Parallel()
	c := clock.NewFake(epoch)
	cl := backoff.NewCrashLoop(c)
	key := backoff.CrashLoopKey("p", "ns", "uid", "app", "busybox")

	// The container runs 1 s and exits; the first exit restarts at once.
	var delays []time.Duration
	for range 8 {
		c.Step(time.Second)
		finished := c.Now()
		waited := time.Duration(0)
		for cl.InBackOff(key, finished) {
			c.Step(time.Second)
			waited += time.Second
		}
		delays = append(delays, waited)
		cl.Next(key, finished)
	}
	want := []time.Duration{0, 10 * s, 20 * s, 40 * s, 80 * s, 160 * s, 300 * s, 300 * s}
	for i := range want {
		if delays[i] != want[i] {
			t.Fatalf("restart delays %v, want %v", delays, want)
		}
	}
	if cl.Get(key) != 300*s {
		t.Fatalf("Get = %v", cl.Get(key))
	}
}

func TestCrashLoopResetAfterTenMinutesRunning(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		ran      time.Duration
		wantWait bool
		wantNext time.Duration
	}{
		{"short run keeps backing off", 5 * time.Minute, true, 300 * s},
		{"ran just 10 minutes", 600 * s, true, 300 * s},
		{"ran over 10 minutes resets", 600*s + time.Millisecond, false, 10 * s},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := clock.NewFake(epoch)
			cl := backoff.NewCrashLoop(c)
			key := backoff.CrashLoopKey("p", "ns", "uid", "app", "img")
			for range 6 { // window now 300 s
				cl.Next(key, c.Now())
			}
			// Restarted now; runs for tc.ran, then exits.
			c.Step(tc.ran)
			finished := c.Now()
			if got := cl.InBackOff(key, finished); got != tc.wantWait {
				t.Fatalf("InBackOff = %v, want %v", got, tc.wantWait)
			}
			if got := cl.Next(key, finished); got != tc.wantNext {
				t.Fatalf("Next = %v, want %v", got, tc.wantNext)
			}
			if at := cl.RetryAt(key, finished); !at.Equal(finished.Add(tc.wantNext)) {
				t.Fatalf("RetryAt = %v", at)
			}
		})
	}
}

func TestCrashLoopKey(t *testing.T) {
	t.Parallel()
	a := backoff.CrashLoopKey("p", "ns", "uid", "app", "img:1")
	if a != backoff.CrashLoopKey("p", "ns", "uid", "app", "img:1") {
		t.Fatal("key not stable")
	}
	for _, other := range []string{
		backoff.CrashLoopKey("p", "ns", "uid", "app", "img:2"),
		backoff.CrashLoopKey("p", "ns", "uid2", "app", "img:1"),
		backoff.CrashLoopKey("p", "ns", "uid", "sidecar", "img:1"),
	} {
		if other == a {
			t.Fatal("distinct containers share a key")
		}
	}
}

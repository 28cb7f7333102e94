package clock_test

import (
	"testing"
	"time"

	"github.com/pullwarden/pullwarden/clock"
)

var epoch = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

func TestFakeStepsAndFiresTimersDeterministically(t *testing.T) {
	t.Parallel()
	c := clock.NewFake(epoch)
	var _ clock.Clock = c

	timer := c.NewTimer(10 * time.Second)
	after := c.After(20 * time.Second)

	c.Step(9 * time.Second)
	select {
	case <-timer.C():
		t.Fatal("timer fired 1s early")
	default:
	}
	if got := c.Since(epoch); got != 9*time.Second {
		t.Fatalf("Since = %v, want 9s", got)
	}

	c.Step(time.Second)
	select {
	case fired := <-timer.C():
		if !fired.Equal(epoch.Add(10 * time.Second)) {
			t.Fatalf("timer fired at %v", fired)
		}
	default:
		t.Fatal("timer did not fire at its deadline")
	}
	select {
	case <-after:
		t.Fatal("After fired early")
	default:
	}

	c.SetTime(epoch.Add(time.Minute))
	select {
	case <-after:
	default:
		t.Fatal("After did not fire on SetTime past its deadline")
	}
	if c.HasWaiters() {
		t.Fatal("fired one-shot timers must be removed")
	}
}

func TestRealMovesForward(t *testing.T) {
	t.Parallel()
	c := clock.Real()
	a := c.Now()
	if c.Since(a) < 0 {
		t.Fatal("real clock went backwards")
	}
}

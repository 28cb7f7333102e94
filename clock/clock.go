package clock

import (
	"context"
	"time"

	kclock "k8s.io/utils/clock"
	kfake "k8s.io/utils/clock/testing"
)

// PassiveClock reads the time: Now and Since.
type PassiveClock = kclock.PassiveClock

// Clock reads the time and waits: Now, Since, After, NewTimer, Sleep, Tick.
type Clock = kclock.Clock

// Timer is a stoppable, resettable one-shot timer made by Clock.NewTimer.
type Timer = kclock.Timer

// Fake is a clock for tests that moves only through Step and SetTime and
// fires due timers synchronously inside those calls.
type Fake = kfake.FakeClock

// Real returns the wall clock.
func Real() Clock { return kclock.RealClock{} }

// NewFake returns a Fake clock set to t.
func NewFake(t time.Time) *Fake { return kfake.NewFakeClock(t) }

// Sleep waits d on c, or until ctx ends (then it returns ctx.Err()).
func Sleep(ctx context.Context, c Clock, d time.Duration) error {
	t := c.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

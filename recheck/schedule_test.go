package recheck_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/pullwarden/pullwarden/clock"
	"github.com/pullwarden/pullwarden/recheck"
)

var epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

type call struct {
	key     string
	waiters int
	at      time.Time
}

// harness runs a Schedule on a fake clock without jitter, reporting each
// check on a channel.
type harness struct {
	t     *testing.T
	clk   *clock.Fake
	s     *recheck.Schedule[string]
	calls chan call
	hold  chan struct{} // when non-nil, each check waits for a value
}

func start(t *testing.T, opts recheck.Options, hold bool) *harness {
	h := &harness{t: t, clk: clock.NewFake(epoch), calls: make(chan call, 16)}
	if hold {
		h.hold = make(chan struct{})
	}
	opts.Clock = h.clk
	if opts.Rand == nil {
		opts.Rand = func() float64 { return 0 }
	}
	h.s = recheck.New[string](opts)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- h.s.Run(ctx, func(_ context.Context, key string, waiters []string) {
			h.calls <- call{key, len(waiters), h.clk.Now()}
			if h.hold != nil {
				<-h.hold
			}
		})
	}()
	t.Cleanup(func() {
		cancel()
		if h.hold != nil {
			close(h.hold)
		}
		if err := <-done; err != context.Canceled {
			t.Errorf("Run returned %v, want context.Canceled", err)
		}
	})
	return h
}

// armed waits (real time, bounded) until Run has armed its timer.
func (h *harness) armed() {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !h.clk.HasWaiters() {
		if time.Now().After(deadline) {
			h.t.Fatal("Run armed no timer")
		}
		time.Sleep(time.Millisecond)
	}
}

func (h *harness) none(what string) {
	h.t.Helper()
	select {
	case c := <-h.calls:
		h.t.Fatalf("%s: unexpected check of %s at +%v", what, c.key, c.at.Sub(epoch))
	case <-time.After(30 * time.Millisecond):
	}
}

func (h *harness) next(what string) call {
	h.t.Helper()
	select {
	case c := <-h.calls:
		return c
	case <-time.After(10 * time.Second):
		h.t.Fatalf("%s: no check", what)
		return call{}
	}
}

// One check per due time for all the waiters of a key, at intervals of
// 2, 4, 8, 16, then 30 s.
func TestIntervalsGrowToTheCapSharedByWaiters(t *testing.T) {
	t.Parallel()
	h := start(t, recheck.Options{}, false)
	for i := range 100 {
		h.s.Register("app:v2|secret/regcred", fmt.Sprintf("pod-%d", i))
	}
	at := epoch
	for _, d := range []time.Duration{2, 4, 8, 16, 30, 30, 30} {
		d *= time.Second
		h.armed()
		h.clk.Step(d - time.Millisecond)
		h.none(fmt.Sprintf("1ms before the %v interval", d))
		h.armed()
		h.clk.Step(time.Millisecond)
		at = at.Add(d)
		c := h.next(fmt.Sprintf("after %v", d))
		if c.waiters != 100 || !c.at.Equal(at) {
			t.Fatalf("check %+v, want 100 waiters at +%v", c, at.Sub(epoch))
		}
	}
}

// Reset makes the key due at once and restarts at 2 s; a Reset during a
// check is followed by another check as soon as it returns.
func TestReset(t *testing.T) {
	t.Parallel()
	h := start(t, recheck.Options{}, true)
	h.s.Register("k", "pod")
	for _, d := range []time.Duration{2, 4, 8} {
		h.armed()
		h.clk.Step(d * time.Second)
		h.next("growing")
		h.hold <- struct{}{}
	}
	h.s.Reset("k") // the secret was created
	h.next("Reset must check at once")
	h.s.Reset("k") // while the check runs
	h.hold <- struct{}{}
	h.next("a Reset during a check is followed by another")
	h.hold <- struct{}{}
	h.armed()
	if due, at := h.s.Due("k"); due || !at.Equal(h.clk.Now().Add(2*time.Second)) {
		t.Fatalf("after Reset: due %v at +%v, want the 2s interval", due, at.Sub(h.clk.Now()))
	}
}

// With its last waiter gone a key is no longer checked.
func TestUnregister(t *testing.T) {
	t.Parallel()
	h := start(t, recheck.Options{}, false)
	h.s.Register("k", "a")
	h.s.Register("k", "b")
	if h.s.Unregister("k", "a") {
		t.Fatal("key dropped with a waiter left")
	}
	if got := h.s.Waiters("k"); len(got) != 1 || got[0] != "b" {
		t.Fatalf("waiters %v", got)
	}
	if !h.s.Unregister("k", "b") {
		t.Fatal("key kept without waiters")
	}
	h.clk.Step(time.Hour)
	h.none("unregistered key")
}

// Jitter shortens each interval by up to 20%: keys registered together
// are not checked together, and no interval exceeds the cap.
func TestJitter(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(epoch)
	rng := rand.New(rand.NewPCG(1, 2))
	s := recheck.New[int](recheck.Options{Clock: clk, Rand: rng.Float64})
	seen := map[time.Time]bool{}
	for k := range 50 {
		s.Register(k, "pod")
		_, at := s.Due(k)
		if d := at.Sub(epoch); d < 1600*time.Millisecond || d > 2*time.Second {
			t.Fatalf("first interval %v outside [1.6s, 2s]", d)
		}
		seen[at] = true
	}
	if len(seen) < 45 {
		t.Fatalf("50 keys registered together share %d due times", len(seen))
	}
	for range 5 {
		s.Checked(0)
	}
	for range 10 {
		clk.Step(time.Minute)
		if at := s.Checked(0); at.Sub(clk.Now()) > recheck.DefaultMax || at.Sub(clk.Now()) < 24*time.Second {
			t.Fatalf("capped interval %v outside [24s, 30s]", at.Sub(clk.Now()))
		}
	}
}

// The intervals of the defaults and of the registry-back probe.
func TestIntervals(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		o    recheck.Options
		want []time.Duration
	}{
		{"recheck", recheck.Options{}, []time.Duration{2e9, 4e9, 8e9, 16e9, 30e9, 30e9}},
		{"probe", recheck.Probe(), []time.Duration{5e8, 1e9, 1e9, 1e9}},
		{"configured", recheck.Options{Initial: time.Second, Max: 10 * time.Second, Factor: 3}, []time.Duration{1e9, 3e9, 9e9, 10e9}},
	} {
		for n, want := range c.want {
			if got := c.o.Interval(n); got != want {
				t.Errorf("%s: Interval(%d) = %v, want %v", c.name, n, got, want)
			}
		}
	}
}

// Due works without Run, for callers that poll.
func TestDueWithoutRun(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(epoch)
	s := recheck.New[string](recheck.Options{Clock: clk, Jitter: -1})
	if due, _ := s.Due("none"); due {
		t.Fatal("unknown key due")
	}
	s.Register("k", "p")
	if due, _ := s.Due("k"); due {
		t.Fatal("due at once")
	}
	clk.Step(2 * time.Second)
	if due, _ := s.Due("k"); !due {
		t.Fatal("not due after 2s")
	}
	if at := s.Checked("k"); !at.Equal(clk.Now().Add(4 * time.Second)) {
		t.Fatalf("next at +%v, want 4s", at.Sub(clk.Now()))
	}
}

package backoff_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/pullwarden/pullwarden/backoff"
	"github.com/pullwarden/pullwarden/clock"
)

// simulateKubelet replays the kubelet's loop for a pod whose image tag does
// not exist: at each sync, if the key is not in backoff, pull (taking
// pullTime) and fail; then re-sync after 10 s with 50 % jitter (10-15 s),
// the pod worker's backOffPeriod. It returns the times, relative to the
// first sync, at which each failed pull ended.
func simulateKubelet(seed uint64, failures int, pullTime time.Duration) []time.Duration {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	c := clock.NewFake(epoch)
	b := backoff.NewImagePull(c)
	key := backoff.Key("0d2c6a3e-uid", "registry.local/app:missing")
	var out []time.Duration
	for len(out) < failures {
		if !b.InBackOff(key) {
			c.Step(pullTime)
			b.Fail(key, "ErrImagePull", "not found")
			out = append(out, c.Since(epoch))
		}
		jitter := time.Duration(rng.Float64() * 0.5 * float64(10*time.Second))
		c.Step(10*time.Second + jitter)
	}
	return out
}

// TestResyncReproducesObservedFailureTimes checks the backoff against the
// failure times measured on a real kubelet 1.32 (KUBELET_SEMANTICS §10):
// about 0, 15, 40-45, 80-95 and 166-182 s.
func TestResyncReproducesObservedFailureTimes(t *testing.T) {
	t.Parallel()
	const pull = 200 * time.Millisecond
	observed := [][2]time.Duration{{0, 0}, {15 * s, 15 * s}, {40 * s, 45 * s}, {80 * s, 95 * s}, {166 * s, 182 * s}}
	windows := []time.Duration{10 * s, 20 * s, 40 * s, 80 * s}

	lo := make([]time.Duration, len(observed))
	hi := make([]time.Duration, len(observed))
	for i := range lo {
		lo[i] = time.Duration(1 << 62)
	}
	for seed := range uint64(300) {
		got := simulateKubelet(seed, len(observed), pull)
		for i, f := range got {
			lo[i], hi[i] = min(lo[i], f), max(hi[i], f)
			if i == 0 {
				continue
			}
			// The retry comes at the first sync after the window ends: no
			// earlier than the window, at most one sync period (15 s) plus
			// the pull later.
			gap := f - got[i-1]
			if gap < windows[i-1]+pull || gap > windows[i-1]+15*s+pull {
				t.Fatalf("seed %d: failure %d came %v after the previous one; window %v", seed, i+1, gap, windows[i-1])
			}
		}
	}
	for i, o := range observed {
		// Every observed time must be reachable by the simulation, within the
		// pull latency the real runs had.
		if o[0] < lo[i]-time.Second || o[1] > hi[i]+time.Second {
			t.Errorf("failure %d observed at %v-%v, simulation spans %v-%v", i+1, o[0], o[1], lo[i], hi[i])
		}
	}
	t.Logf("simulated failure times over 300 seeds: lo %v hi %v", lo, hi)

	// One fixed seed, pinned to the millisecond, so any change in the
	// backoff or the loop shows up as a diff.
	got := simulateKubelet(42, len(observed), pull)
	want := []time.Duration{200 * time.Millisecond, 14527 * time.Millisecond, 38821 * time.Millisecond, 80219 * time.Millisecond, 165259 * time.Millisecond}
	for i := range want {
		if got[i].Truncate(time.Millisecond) != want[i] {
			t.Fatalf("seed 42: failures at %v, want %v", got, want)
		}
	}
}

package backoff

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"k8s.io/client-go/util/flowcontrol"

	"github.com/pullwarden/pullwarden/clock"
)

// TestMatchesClientGoBackoff runs random sequences of operations on the
// port and on client-go's util/flowcontrol.Backoff (what the kubelet uses,
// without jitter) on one fake clock, and requires the same answer to every
// question: Get, IsInBackOffSinceUpdate (the image manager's check),
// IsInBackOffSince (CrashLoop.InBackOff, the container restart check), after
// Next with past, present and future event times, GC, Reset and clock
// steps of all sizes around the windows and the 2 x max expiry.
func TestMatchesClientGoBackoff(t *testing.T) {
	for seed := range uint64(200) {
		rng := rand.New(rand.NewPCG(seed, 42))
		clk := clock.NewFake(time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC))
		policy := ImagePullPolicy
		if seed%2 == 1 {
			policy = Policy{Initial: time.Second, Max: 7 * time.Second} // Expiry 0: 2 x Max, as client-go
		}
		ours := New(policy, clk)
		crash := &CrashLoop{b: New(policy, clk)}
		theirs := flowcontrol.NewFakeBackOff(policy.Initial, policy.Max, clk)
		theirsCrash := flowcontrol.NewFakeBackOff(policy.Initial, policy.Max, clk)
		keys := []string{"a", "b", "c"}
		exact := []time.Duration{0, 1, -1, policy.Initial, 2 * policy.Initial, 4 * policy.Initial, policy.Max, 2 * policy.Max, 2*policy.Max + 1, 2*policy.Max - 1, -policy.Initial}
		offset := func() time.Duration {
			if rng.IntN(2) == 0 {
				return exact[rng.IntN(len(exact))]
			}
			scale := []time.Duration{time.Millisecond, time.Second, policy.Initial, policy.Max, 2 * policy.Max}[rng.IntN(5)]
			return time.Duration(rng.Int64N(int64(3*scale+1))) - scale
		}
		var log []string
		for step := range 300 {
			k := keys[rng.IntN(len(keys))]
			now := clk.Now()
			at := now.Add(offset())
			var op string
			switch rng.IntN(8) {
			case 0, 1:
				op = fmt.Sprintf("Next(%s, now%+v)", k, at.Sub(now))
				ours.Next(k, at)
				theirs.Next(k, at)
				crash.Next(k, at)
				theirsCrash.Next(k, at)
			case 2:
				op = "GC"
				ours.GC()
				theirs.GC()
				crash.GC()
				theirsCrash.GC()
			case 3:
				op = "Reset(" + k + ")"
				ours.Reset(k)
				theirs.Reset(k)
				crash.Reset(k)
				theirsCrash.Reset(k)
			default:
				d := offset()
				if d < 0 {
					d = -d
				}
				op = fmt.Sprintf("Step(%v)", d)
				clk.Step(d)
			}
			log = append(log, op)
			for _, q := range keys {
				at := clk.Now().Add(offset())
				checks := []struct {
					what      string
					got, want any
				}{
					{"Get", ours.Get(q), theirs.Get(q)},
					{"IsInBackOffSinceUpdate(now)", ours.IsInBackOffSinceUpdate(q, clk.Now()), theirs.IsInBackOffSinceUpdate(q, clk.Now())},
					{"IsInBackOffSinceUpdate(t)", ours.IsInBackOffSinceUpdate(q, at), theirs.IsInBackOffSinceUpdate(q, at)},
					{"CrashLoop.InBackOff(t)", crash.InBackOff(q, at), theirsCrash.IsInBackOffSince(q, at)},
					{"CrashLoop.Get", crash.Get(q), theirsCrash.Get(q)},
				}
				for _, c := range checks {
					if c.got != c.want {
						t.Fatalf("seed %d step %d: %s(%s) = %v, client-go says %v; operations: %v", seed, step, c.what, q, c.got, c.want, log)
					}
				}
			}
		}
	}
}

package diagnose

import (
	"fmt"
	"time"

	"github.com/pullwarden/pullwarden/backoff"
	"github.com/pullwarden/pullwarden/reason"
)

// KubeletState is what is known of the kubelet's view of the container.
type KubeletState struct {
	// Waiting is the container's waiting reason (ErrImagePull,
	// ImagePullBackOff, InvalidImageName, ErrImageNeverPull, ...).
	Waiting string
	// Failures is the number of failed pulls seen so far (the count of
	// the "Failed" pull events); LastFailure is the latest one.
	Failures    int
	LastFailure time.Time
}

// Window is the kubelet's image pull back-off after n failures: 10 s
// doubling to 300 s (package backoff's numbers).
func Window(n int) time.Duration {
	p := backoff.ImagePullPolicy
	d := p.Initial
	for i := 1; i < n && d < p.Max; i++ {
		d *= 2
	}
	return min(d, p.Max)
}

// next fills the last step: what the kubelet does next, and when.
func (c *Checker) next(r *run, req Request) {
	k := req.Kubelet
	if k == nil {
		r.skip(StepNext, "no pod: the kubelet's back-off state is not known")
		return
	}
	verdict := "the next attempt should succeed"
	if !r.res.Pullable {
		verdict = "the next attempt fails the same way until the cause is fixed"
	}
	switch k.Waiting {
	case reason.InvalidImageName, reason.ErrImageNeverPull:
		r.pass(StepNext, fmt.Sprintf("%s: the kubelet does not retry until the pod's spec changes (recreate the pod with a fixed image or policy)", k.Waiting))
	case reason.ErrImagePull, reason.ImagePullBackOff:
		if k.Failures == 0 || k.LastFailure.IsZero() {
			r.pass(StepNext, fmt.Sprintf("%s: the kubelet retries after its back-off (10s doubling to 5m0s); %s", k.Waiting, verdict))
			return
		}
		w := Window(k.Failures)
		at := k.LastFailure.Add(w)
		in := at.Sub(c.opts.Clock.Now())
		when := "now (at its next sync, within about 10s)"
		if in > 0 {
			when = fmt.Sprintf("at %s (in %s)", at.UTC().Format("15:04:05 UTC"), seconds(in))
		}
		r.pass(StepNext, fmt.Sprintf("%s after %d failed pull(s): back-off %s, the kubelet retries %s, then the window doubles to at most %s; %s",
			k.Waiting, k.Failures, w, when, backoff.ImagePullPolicy.Max, verdict))
	case "":
		r.pass(StepNext, "the container is not waiting on its image")
	default:
		r.pass(StepNext, fmt.Sprintf("the container is waiting with %s, not on its image", k.Waiting))
	}
}

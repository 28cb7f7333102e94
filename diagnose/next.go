package diagnose

import (
	"fmt"
	"time"

	"github.com/pullwarden/pullwarden/backoff"
	"github.com/pullwarden/pullwarden/cause"
	"github.com/pullwarden/pullwarden/pull"
	"github.com/pullwarden/pullwarden/reason"
	"github.com/pullwarden/pullwarden/recheck"
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
	// Retry is the retry policy in force for the pod's pulls:
	// pull.RetrySmart when pullwarden retries them by cause (a node
	// agent, or the pullwarden controller on a cluster), pull.RetryKubelet
	// or "" for the kubelet's back-off.
	Retry pull.RetryPolicy
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

// Title of the last step under the smart policy.
const titleNextSmart = "what pullwarden does next"

// next fills the last step: what the kubelet (or, under the smart
// policy, pullwarden) does next, and when.
func (c *Checker) next(r *run, req Request) {
	k := req.Kubelet
	if k == nil {
		r.skip(StepNext, "no pod: the kubelet's back-off state is not known")
		return
	}
	switch k.Waiting {
	case reason.InvalidImageName, reason.ErrImageNeverPull:
		who := "the kubelet does not retry"
		if k.Retry == pull.RetrySmart {
			r.step(StepNext).Title = titleNextSmart
			who = "smart retry policy: neither pullwarden nor the kubelet retries"
		}
		r.pass(StepNext, fmt.Sprintf("%s: %s until the pod's spec changes (recreate the pod with a fixed image or policy)", k.Waiting, who))
	case reason.ErrImagePull, reason.ImagePullBackOff:
		if k.Retry == pull.RetrySmart {
			r.step(StepNext).Title = titleNextSmart
			r.pass(StepNext, smartNext(r.res, k.Waiting))
			return
		}
		c.kubeletNext(r, k)
	case "":
		r.pass(StepNext, "the container is not waiting on its image")
	default:
		r.pass(StepNext, fmt.Sprintf("the container is waiting with %s, not on its image", k.Waiting))
	}
}

// kubeletNext is the kubelet's back-off window.
func (c *Checker) kubeletNext(r *run, k *KubeletState) {
	verdict := "the next attempt should succeed"
	if !r.res.Pullable {
		verdict = "the next attempt fails the same way until the cause is fixed"
	}
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
}

// smartNext says what the smart policy does for the diagnosed cause.
func smartNext(res Result, waiting string) string {
	const now = "or at once on `pullwarden retry pod`"
	if res.Pullable {
		return fmt.Sprintf("%s, smart retry policy: the image can be pulled now; pullwarden retries at its next re-check of a held image (every %s growing to %s) or at the end of a transient back-off (at most %s), %s",
			waiting, pull.RecheckInitial, pull.RecheckMax, pull.TransientMax, now)
	}
	c := cause.ByReason(res.Reason)
	after := time.Duration(res.RetryAfter * float64(time.Second))
	switch pull.HandlingOf(c, after) {
	case pull.HoldForFix:
		return fmt.Sprintf("%s, smart retry policy: %s needs a fix, so pullwarden stopped pulling; it re-checks the image with a manifest HEAD (not counted as a pull) every %s growing to %s, shared by every pod waiting on it, and retries at once when a re-check finds the image%s, or on `pullwarden retry pod`",
			waiting, res.Reason, pull.RecheckInitial, pull.RecheckMax, triggerOf(c))
	case pull.WaitRetryAfter:
		return fmt.Sprintf("%s, smart retry policy: the registry asked to wait %s (RateLimited); pullwarden sends it no request before then, for every pod using the registry, and retries after the wait",
			waiting, seconds(after))
	}
	if c == cause.RateLimited {
		return fmt.Sprintf("%s, smart retry policy: the registry's pull quota is used up (RateLimited); pullwarden holds its manifest GETs, for every pod using the registry, until the quota headers (ratelimit-remaining, ratelimit-reset) or one slot of the window allow one, while HEAD re-checks go on, and retries after a back-off of %s doubling to %s, %s",
			waiting, pull.TransientInitial, pull.TransientMax, now)
	}
	probe := ""
	if c == cause.RegistryUnreachable {
		probe = fmt.Sprintf("; it also probes the registry's /v2/ (every %s growing to %s) and its first answer releases every pod waiting on it",
			recheck.DefaultProbeInitial, recheck.DefaultProbeMax)
	}
	return fmt.Sprintf("%s, smart retry policy: %s is transient; pullwarden retries after a jittered back-off of %s doubling to %s, one per image for every pod waiting on it%s, %s",
		waiting, res.Reason, pull.TransientInitial, pull.TransientMax, probe, now)
}

// triggerOf names the announcement that retries a held image at once,
// besides a re-check, for cause c.
func triggerOf(c *cause.Cause) string {
	switch c {
	case cause.TagNotFound, cause.RepositoryNotFound:
		return ", when the registry announces a push of the repository (serve --notify-listen)"
	case cause.Unauthorized, cause.Denied:
		return ", when a secret or service account the pod uses, or the node's docker config, changes"
	}
	return ""
}

package pull

import (
	"context"
	"fmt"
	"time"

	"github.com/pullwarden/pullwarden/cause"
	"github.com/pullwarden/pullwarden/credential"
	"github.com/pullwarden/pullwarden/policy"
	"github.com/pullwarden/pullwarden/reason"
	"github.com/pullwarden/pullwarden/reference"
	"github.com/pullwarden/pullwarden/registry"
	"github.com/pullwarden/pullwarden/store"
)

// EnsureRequest asks for one container's image, as the kubelet's
// EnsureImageExists is asked.
type EnsureRequest struct {
	// Image is the reference as written in the pod spec or on the command
	// line.
	Image string
	// Policy is the imagePullPolicy; empty means the API server's default.
	Policy policy.Policy
	// Keyring supplies the credentials that may be tried, in order. Nil
	// means anonymous only. Credentials with a Secret set are the pod's
	// own; the others are the node's.
	Keyring credential.Keyring
	// BackoffKey is the backoff entry this request is subject to
	// (backoff.Key(podUID, image) for a pod). Empty: no backoff (the CLI).
	BackoffKey string
	// Observer, when set, is told each step (Pulling, Pulled, BackOff...).
	Observer Observer
	// Progress, when set, receives per-blob progress of the transfer.
	Progress func(registry.Progress)
	// Retry is the request's retry policy; empty: the Puller's (see
	// WithRetry). Only requests with a BackoffKey are retried by policy.
	Retry RetryPolicy
	// Waiter names who waits on the image under the smart policy (the
	// pod's UID), for OnRetry; empty: BackoffKey.
	Waiter string
}

// Failure is the error Ensure returns: the kubelet's waiting reason and
// message for the container, and the cause underneath.
type Failure struct {
	// Reason is one of reason.InvalidImageName, reason.ImageInspectError,
	// reason.ErrImageNeverPull, reason.ImagePullBackOff,
	// reason.ErrImagePull.
	Reason string
	// Message is the waiting message.
	Message string
	// Err is the classified failure (*cause.Error); nil for
	// ImagePullBackOff, which reports the last failure in Message.
	Err error
	// RetryAt is when the smart policy lets the next attempt run (zero:
	// when a re-check or a trigger releases the image, or the kubelet
	// policy).
	RetryAt time.Time
}

func (f *Failure) Error() string { return f.Message }

// Unwrap gives errors.Is / errors.As access to the cause.
func (f *Failure) Unwrap() error { return f.Err }

// Ensure is the image manager's one entry point: it makes req.Image usable
// or says why not. In order, as the kubelet's image manager: parse and
// normalise the reference; unless the policy is Always, check once whether
// the store holds the image; for a present image, check that the caller's
// credentials may use it (KEP-2535); apply the policy (Never and not usable:
// ErrImageNeverPull); respect the backoff of req.BackoffKey; pull with the
// caller's credentials (shared with concurrent callers, within the
// node-wide pull concurrency); record the failure in the backoff or the
// credentials that pulled the image. Every step is reported to
// req.Observer. Errors are *Failure.
func (p *Puller) Ensure(ctx context.Context, req EnsureRequest) (Result, error) {
	res, f := p.ensure(ctx, req)
	if f != nil {
		return res, f
	}
	return res, nil
}

func (p *Puller) ensure(ctx context.Context, req EnsureRequest) (Result, *Failure) {
	obs := req.Observer
	if obs == nil {
		obs = nopObserver{}
	}
	ref, err := reference.Parse(req.Image)
	if err != nil {
		obs.Observe(Event{Kind: EventInvalidName, Image: req.Image, Err: err})
		return Result{}, &Failure{Reason: reason.InvalidImageName, Message: reason.InspectFailed(req.Image, err), Err: err}
	}
	pol := req.Policy.Or(req.Image)
	res := Result{Image: ref.String(), Policy: pol}

	// Always asks the registry in any case: no presence check.
	var img store.Image
	present := false
	if pol != policy.Always {
		img, present, err = p.Present(ctx, ref)
		if err != nil {
			obs.Observe(Event{Kind: EventInspectFailed, Image: req.Image, Err: err})
			return res, &Failure{Reason: reason.ImageInspectError, Message: reason.FailedToInspect(req.Image, err), Err: err}
		}
	}
	verified := false
	if present {
		var mustPull bool
		mustPull, verified = p.mustAttemptPull(ctx, req, ref, img)
		if !mustPull {
			res.RepoDigest, res.Target = img.RepoDigest, img.Target
			obs.Observe(Event{Kind: EventPresent, Image: req.Image, Verified: verified, Result: res})
			return res, nil
		}
	}
	if pol == policy.Never {
		err := cause.New(cause.ErrImageNeverPull, "Container image %q is not present with pull policy of Never", req.Image)
		obs.Observe(Event{Kind: EventNeverPull, Image: req.Image, Err: err, Verified: verified})
		return res, &Failure{Reason: reason.ErrImageNeverPull, Message: reason.NeverPull(req.Image), Err: err}
	}
	if p.policyOf(req) == RetrySmart {
		if h, ok := p.held(holdKey(ref, req.Keyring), waiterOf(req)); ok {
			obs.Observe(Event{Kind: EventBackOff, Image: req.Image})
			return res, p.heldFailure(req.Image, h)
		}
	} else if key := req.BackoffKey; key != "" && p.backoff.IsInBackOffSinceUpdate(key, p.clock.Now()) {
		obs.Observe(Event{Kind: EventBackOff, Image: req.Image})
		lastReason, lastMsg, _ := p.backoff.Last(key)
		return res, &Failure{Reason: reason.ImagePullBackOff, Message: reason.BackOffPullingMessage(req.Image, lastReason, lastMsg)}
	}
	return p.pull(ctx, req, ref, res, obs)
}

// pull runs the transfer part of Ensure.
func (p *Puller) pull(ctx context.Context, req EnsureRequest, ref reference.Reference, res Result, obs Observer) (Result, *Failure) {
	obs.Observe(Event{Kind: EventPulling, Image: req.Image})
	start := p.clock.Now()
	p.recordIntent(ctx, ref)
	out, used, err := p.tryCredentials(ctx, ref, req.Keyring, req.Progress)
	out.Image, out.Policy = res.Image, res.Policy
	out.Duration = p.clock.Since(start)
	if ctx.Err() == nil {
		p.recordPullMetrics(ref.String(), out, err)
	}
	if err != nil {
		p.recordFailed(ctx, ref)
		if ctx.Err() != nil {
			// The caller went away (a deleted pod): no event, no backoff.
			return out, &Failure{Reason: reason.ErrImagePull, Message: err.Error(), Err: err}
		}
		text := pullError(err)
		obs.Observe(Event{Kind: EventPullFailed, Image: req.Image, Err: err, Message: text})
		switch p.policyOf(req) {
		case RetrySmart:
			at := p.failed(ref, req.Keyring, waiterOf(req), err, text)
			c := cause.Of(err)
			return out, &Failure{Reason: reason.ErrImagePull, Message: text + "; fix: " + c.Hint(), Err: err, RetryAt: at}
		case RetryKubelet:
			p.backoff.Fail(req.BackoffKey, reason.ErrImagePull, text)
		}
		return out, &Failure{Reason: reason.ErrImagePull, Message: text, Err: err}
	}
	out.Pulled = true
	p.recordPulled(ctx, ref, out, used)
	obs.Observe(Event{Kind: EventPulled, Image: req.Image, Result: out, Pull: out.Duration - out.Waited, Total: out.Duration})
	if req.BackoffKey != "" {
		p.backoff.GC()
	}
	if p.policyOf(req) == RetrySmart {
		if others := p.pulledHold(holdKey(ref, req.Keyring), waiterOf(req)); len(others) > 0 {
			p.notifyRetry(Retried{Image: ref.String(), Waiters: others, Trigger: TriggerPulled})
		}
	}
	return out, nil
}

// pullError is the error text of events and waiting messages: the
// classified cause first, so that a person sees what to act on.
func pullError(err error) string {
	return fmt.Sprintf("%s: %s", cause.Of(err).Reason(), err.Error())
}

func waiterOf(req EnsureRequest) string {
	if req.Waiter != "" {
		return req.Waiter
	}
	return req.BackoffKey
}

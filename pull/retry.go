package pull

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/pullwarden/pullwarden/cause"
	"github.com/pullwarden/pullwarden/credential"
	"github.com/pullwarden/pullwarden/reason"
	"github.com/pullwarden/pullwarden/recheck"
	"github.com/pullwarden/pullwarden/reference"
)

// RetryPolicy says how Ensure retries a pod's failed pull.
type RetryPolicy string

// The retry policies.
const (
	// RetrySmart (the default) retries by cause: a failure that needs a
	// person holds the image until a re-check or a trigger says it is
	// fixed; a transient one retries after a short jittered backoff; a
	// rate limit waits what the registry asked. One hold per image,
	// shared by every pod waiting on it.
	RetrySmart RetryPolicy = "smart"
	// RetryKubelet is the kubelet's backoff exactly: per pod and image,
	// 10 s doubling to 300 s, whatever the cause.
	RetryKubelet RetryPolicy = "kubelet"
)

// RetryPolicyAnnotation chooses a pod's retry policy, overriding the
// agent's.
const RetryPolicyAnnotation = "pullwarden.io/retry-policy"

// ParseRetryPolicy checks a policy name; "" is RetrySmart.
func ParseRetryPolicy(s string) (RetryPolicy, error) {
	switch RetryPolicy(s) {
	case "", RetrySmart:
		return RetrySmart, nil
	case RetryKubelet:
		return RetryKubelet, nil
	}
	return "", fmt.Errorf("retry policy %q: want %q or %q", s, RetrySmart, RetryKubelet)
}

// The transient backoff of the smart policy: 1 s after the first failure
// of an image with a transient cause, doubling to a cap of 20 s, each wait
// shortened by up to 20 % at random.
const (
	TransientInitial = time.Second
	TransientMax     = 20 * time.Second
	TransientJitter  = 0.2
)

// Trigger says why a held pull is retried now; its text ends the
// PullRetried event ("Retrying image "x" now: <trigger>").
type Trigger string

// The triggers.
const (
	TriggerRecheck      Trigger = "a re-check found the image at the registry"
	TriggerPush         Trigger = "the registry announced a push of the repository"
	TriggerCredentials  Trigger = "a secret or service account the pod uses changed"
	TriggerRegistryBack Trigger = "the registry answers again"
	TriggerManual       Trigger = "retry requested (pullwarden retry)"
	TriggerPulled       Trigger = "another pod pulled the image"
)

// Retried tells the face (the pod manager) that the pulls of Waiters
// (pod UIDs) for Image may run now, and why.
type Retried struct {
	Image   string
	Waiters []string
	Trigger Trigger
}

// RetryOptions configure the smart policy. Zero fields take the defaults.
type RetryOptions struct {
	// Policy is the agent's policy for requests that name none (default
	// RetrySmart).
	Policy RetryPolicy
	// Recheck is the schedule of the manifest HEAD that re-checks a held
	// image (default: 2 s growing to 30 s, jittered; its Clock defaults to
	// the Puller's clock when that is a full clock).
	Recheck recheck.Options
	// OnRetry is told when held pulls may run at once (a re-check or a
	// trigger). It must not block.
	OnRetry func(Retried)
	// Rand returns numbers in [0, 1) for the transient jitter (default
	// math/rand/v2.Float64).
	Rand func() float64
	// Probe, when set, asks a registry host whether it answers again (a
	// GET of /v2/; any HTTP answer counts). An image held for
	// RegistryUnreachable has its host probed on Probes' schedule; the
	// first success releases every image held on that host
	// (TriggerRegistryBack).
	Probe func(ctx context.Context, host string) error
	// Probes is the schedule of the probe (default recheck.Probe():
	// 500ms growing to 1s, jittered).
	Probes recheck.Options
}

// WithRetry configures the retry policy (default: smart, 2 s to 30 s
// re-checks).
func WithRetry(o RetryOptions) Option { return func(p *Puller) { p.retryOpts = o } }

// needsPerson reports whether c stops pulling until something changes.
func needsPerson(c *cause.Cause) bool {
	switch c {
	case cause.TagNotFound, cause.RepositoryNotFound, cause.Unauthorized, cause.Denied,
		cause.PlatformNotFound, cause.ManifestInvalid, cause.ProtocolError:
		return true
	}
	return false
}

// hold is the shared retry state of one image and credential under the
// smart policy.
type hold struct {
	cause   *cause.Cause
	text    string    // the failure, as pullError
	until   time.Time // zero: until a re-check or a trigger
	n       int       // consecutive transient failures
	waiters map[string]bool
	check   checkKey // its key: the image and the credential, re-checked when the cause needs a person
}

// checkKey is one re-check: an image and the credential it is checked
// with ("" anonymous).
type checkKey struct {
	Image, Credential string
}

// policyOf is the policy a request runs under.
func (p *Puller) policyOf(req EnsureRequest) RetryPolicy {
	if req.BackoffKey == "" {
		return "" // the CLI: no backoff at all
	}
	if req.Retry != "" {
		return req.Retry
	}
	return p.retryOpts.Policy
}

// held returns the hold in force on image, if any, adding waiter to it.
func (p *Puller) held(k checkKey, waiter string) (hold, bool) {
	p.holdMu.Lock()
	defer p.holdMu.Unlock()
	h, ok := p.holds[k]
	if !ok {
		return hold{}, false
	}
	if !h.waiters[waiter] {
		h.waiters[waiter] = true
		p.waitingLocked()
	}
	if h.cause == nil || (!h.until.IsZero() && !p.clock.Now().Before(h.until)) {
		return hold{}, false
	}
	if needsPerson(h.cause) {
		p.rechecks.Register(h.check, waiter)
	}
	return *h, true
}

// heldFailure is the ImagePullBackOff failure of a request on a hold.
func (p *Puller) heldFailure(image string, h hold) *Failure {
	next := "retried at once when the fix is announced, re-checked with a manifest HEAD meanwhile"
	if !h.until.IsZero() {
		next = fmt.Sprintf("next attempt in %s", h.until.Sub(p.clock.Now()).Round(100*time.Millisecond))
	}
	return &Failure{Reason: reasonBackOff, Message: waitingForFix(image, h, next), RetryAt: h.until}
}

// failed records a failed pull of image under the smart policy and returns
// when the next attempt may run (zero: on a re-check or trigger only).
func (p *Puller) failed(ref reference.Reference, ring credential.Keyring, waiter string, err error, text string) time.Time {
	c := cause.Of(err)
	p.holdMu.Lock()
	defer p.holdMu.Unlock()
	cred := firstCredential(ring, ref)
	k := holdKey(ref, ring)
	h, ok := p.holds[k]
	if !ok {
		h = &hold{waiters: map[string]bool{}, check: k}
		p.holds[k] = h
	}
	if h.cause != c {
		h.n = 0
	}
	h.cause, h.text = c, text
	h.waiters[waiter] = true
	switch {
	case needsPerson(c):
		h.until = time.Time{}
		p.recheckCreds[h.check] = cred
		for w := range h.waiters {
			p.rechecks.Register(h.check, w)
		}
	case c == cause.RegistryUnreachable && p.retryOpts.Probe != nil:
		h.n++
		h.until = p.clock.Now().Add(p.transientDelay(h.n))
		p.probes.Register(ref.Registry(), k.Image)
	case c == cause.RateLimited && cause.RetryAfterOf(err) > 0:
		h.until = p.clock.Now().Add(cause.RetryAfterOf(err))
	default:
		h.n++
		h.until = p.clock.Now().Add(p.transientDelay(h.n))
	}
	if p.metrics != nil && !h.until.IsZero() {
		p.metrics.RetryDelay(c.Reason(), h.until.Sub(p.clock.Now()))
	}
	p.waitingLocked()
	return h.until
}

// transientDelay is the n-th (from 1) jittered transient backoff.
func (p *Puller) transientDelay(n int) time.Duration {
	d := TransientInitial
	for i := 1; i < n && d < TransientMax; i++ {
		d *= 2
	}
	d = min(d, TransientMax)
	r := p.retryOpts.Rand
	if r == nil {
		r = rand.Float64
	}
	return d - time.Duration(float64(d)*TransientJitter*r())
}

// holdKey is the hold a request of ref with ring is subject to: the
// image and the credential it is tried with first, so that a pod with
// other credentials is never held by another pod's refused ones.
func holdKey(ref reference.Reference, ring credential.Keyring) checkKey {
	k := checkKey{Image: ref.String()}
	if c := firstCredential(ring, ref); c.Source != "" {
		k.Credential = c.Hash()
	}
	return k
}

// firstCredential is the credential a re-check of ref uses: the first that
// matches (pod secrets first), or anonymous.
func firstCredential(ring credential.Keyring, ref reference.Reference) credential.Credential {
	if ring == nil {
		return credential.Credential{}
	}
	if cs := ring.Lookup(ref.Name()); len(cs) > 0 {
		return cs[0]
	}
	return credential.Credential{}
}

// pulledHold drops image's hold after a successful pull and returns the
// other pods that waited on it.
func (p *Puller) pulledHold(k checkKey, waiter string) []string {
	p.holdMu.Lock()
	h, ok := p.holds[k]
	if ok {
		delete(p.holds, k)
		delete(p.recheckCreds, k)
		p.waitingLocked()
	}
	p.holdMu.Unlock()
	if !ok {
		return nil
	}
	var others []string
	for w := range h.waiters {
		p.rechecks.Unregister(h.check, w)
		if w != waiter {
			others = append(others, w)
		}
	}
	return others
}

// Hold is the exported view of an image held by the smart policy.
type Hold struct {
	// Cause is the reason of the failure that holds the image.
	Cause string
	// Until is when the next attempt may run; zero: on a re-check or a
	// trigger.
	Until time.Time
	// Waiters are the pods (UIDs) waiting on it.
	Waiters []string
}

const reasonBackOff = reason.ImagePullBackOff

// waitingForFix is the smart policy's waiting message.
func waitingForFix(image string, h hold, next string) string {
	return reason.WaitingForFix(image, h.cause.Reason(), strings.TrimPrefix(h.text, h.cause.Reason()+": "), h.cause.Hint(), next)
}

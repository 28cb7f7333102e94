package pull

import (
	"time"

	"github.com/pullwarden/pullwarden/cause"
	"github.com/pullwarden/pullwarden/recheck"
)

// Handling is what the smart policy does after a failed pull, by cause.
type Handling int

// The smart policy's handlings.
const (
	// HoldForFix: the cause needs a person. Pulling stops; the image is
	// re-checked with a manifest HEAD on the re-check schedule and
	// retried at once when a re-check finds it or a trigger fires.
	HoldForFix Handling = iota + 1
	// Backoff: a transient cause, retried after a jittered backoff
	// (TransientInitial doubling to TransientMax).
	Backoff
	// WaitRetryAfter: the registry asked for a wait (Retry-After or Docker
	// Hub's quota headers); no request to it before the wait has passed.
	WaitRetryAfter
)

// HandlingOf is how the smart policy retries a pull that failed with c
// (a RateLimited failure without a wait backs off like a transient one).
func HandlingOf(c *cause.Cause, retryAfter time.Duration) Handling {
	switch {
	case needsPerson(c):
		return HoldForFix
	case c == cause.RateLimited && retryAfter > 0:
		return WaitRetryAfter
	}
	return Backoff
}

// The default re-check schedule of held images, for descriptions.
const (
	RecheckInitial = recheck.DefaultInitial
	RecheckMax     = recheck.DefaultMax
)

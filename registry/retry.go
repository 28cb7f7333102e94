package registry

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pullwarden/pullwarden/cause"
)

// retry runs op until it succeeds, fails with a cause that is not
// retryable (cause.Retryable, the one rule), or fails Attempts times in a
// row without progress (an attempt that made progress, see progressed, is
// followed by the next at once, without a wait, and resets the count).
// or the attempts of the RetryPolicy are used up. Every failure is
// classified against t; the last one is returned. Between attempts it waits
// the Retry-After the registry asked for (429, 503) when that is at most
// MaxRetryAfter, else a jittered exponential backoff. A Retry-After above
// MaxRetryAfter ends the call at once with the cause carrying RetryAfter.
func (c *Client) retry(ctx context.Context, t target, what string, op func(ctx context.Context, attempt int) error) error {
	var last *cause.Error
	failures := 0 // attempts in a row without progress
	for attempt := 1; ; attempt++ {
		actx, n := withNote(ctx)
		err := op(actx, attempt)
		if err == nil {
			return nil
		}
		last = withRetryAfter(t.classify(err, what), n)
		if ctx.Err() != nil {
			return t.classify(ctx.Err(), what)
		}
		if !cause.Retryable(last) || nobodyThere(err) {
			return last
		}
		if last.RetryAfter > c.opts.MaxRetryAfter {
			return &cause.Error{Cause: cause.RateLimited, RetryAfter: last.RetryAfter, Err: last.Err,
				Message: last.Message + fmt.Sprintf(" (longer than the %s pullwarden waits within one pull)", c.opts.MaxRetryAfter)}
		}
		var p *progressed
		if errors.As(err, &p) && last.RetryAfter == 0 {
			// The attempt moved the transfer on: the registry works, the
			// connection broke. Reconnect at once; the count starts over.
			failures = 0
			c.opts.Logger.DebugContext(ctx, "reconnecting after progress", "host", t.host, "repository", t.repo,
				"what", what, "attempt", attempt, "bytes", p.bytes, "error", last.Message)
			continue
		}
		failures++
		if failures >= c.opts.Retry.Attempts {
			e := *last
			e.Message += fmt.Sprintf(" (gave up after %d attempts)", attempt)
			return &e
		}
		wait := last.RetryAfter
		if wait <= 0 {
			wait = c.backoff(attempt)
		}
		c.opts.Logger.DebugContext(ctx, "retrying", "host", t.host, "repository", t.repo, "what", what,
			"attempt", attempt, "wait", wait, "reason", last.Cause.Reason(), "error", last.Message)
		if err := c.opts.Sleep(ctx, wait); err != nil {
			return t.classify(err, what)
		}
	}
}

// nobodyThere reports a failure where no registry answered at all: the
// connection was refused or the host name does not resolve. Retrying within
// the pull cannot help for seconds, and containerd (so the kubelet) reports
// it at once: the attempt ends, and the caller's backoff (the kubelet's, or
// the image manager's retry policy) decides when to try again. A registry
// that accepts the connection and then does not answer is retried here.
func nobodyThere(err error) bool {
	var dns *net.DNSError
	return errors.Is(err, syscall.ECONNREFUSED) || (errors.As(err, &dns) && dns.IsNotFound)
}

// progressed marks the failure of an attempt that moved its transfer on by
// at least Options.MinProgress bytes: the retry loop reconnects at once
// instead of backing off, and starts its count of attempts over.
type progressed struct {
	err   error
	bytes int64
}

func (p *progressed) Error() string { return p.err.Error() }
func (p *progressed) Unwrap() error { return p.err }

// withRetryAfter gives e the wait a 429 or 503 of the attempt asked for
// when e lacks it: ggcr's ping and token exchange keep no response
// headers in their errors.
func withRetryAfter(e *cause.Error, n *note) *cause.Error {
	after, ok := n.retryAfter()
	if !ok || e.RetryAfter != 0 || (e.Cause != cause.RateLimited && e.Cause != cause.ServerError) {
		return e
	}
	c := *e
	c.RetryAfter = after
	c.Message += fmt.Sprintf(", asked to retry after %s", after)
	return &c
}

// backoff is the wait after failed attempt n (from 1): uniform in
// [d/2, d] with d = min(Initial * 2^(n-1), Max).
func (c *Client) backoff(n int) time.Duration {
	d := c.opts.Retry.Initial
	for i := 1; i < n && d < c.opts.Retry.Max; i++ {
		d *= 2
	}
	d = min(d, c.opts.Retry.Max)
	half := d / 2
	return half + rand.N(d-half+1)
}

// parseRetryAfter reads a Retry-After value: delay seconds or an HTTP date
// (relative to now; a date in the past means 0). ok is false when the value
// is absent or malformed. Values are capped at one day.
func parseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	const maxWait = 24 * time.Hour
	if v[0] >= '0' && v[0] <= '9' {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
				return maxWait, true
			}
			return 0, false
		}
		if n > uint64(maxWait/time.Second) {
			return maxWait, true
		}
		return time.Duration(n) * time.Second, true
	}
	at, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	d = at.Sub(now)
	switch {
	case d < 0:
		d = 0
	case d > maxWait:
		d = maxWait
	}
	return d, true
}

package hosts

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/pullwarden/pullwarden/clock"
)

// Defaults of HealthOptions.
const (
	DefaultDownInitial = 5 * time.Second
	DefaultDownMax     = 5 * time.Minute
)

// HealthOptions configure a Health record. Zero fields take the defaults.
type HealthOptions struct {
	// DownInitial is how long an endpoint is skipped after its first
	// failure; it doubles with each consecutive failure up to DownMax.
	// Defaults 5s and 5m.
	DownInitial, DownMax time.Duration
	// HostFailure tells whether an error of an attempt says the endpoint
	// itself is unusable (marks it down) rather than that it lacks what
	// was asked (a 404 from a mirror: the next endpoint is tried, the
	// mirror stays up). Default: network errors (refused, reset, DNS,
	// TLS handshake, timeouts) and deadlines of the attempt itself.
	HostFailure func(error) bool
	// Clock tells time; default the wall clock.
	Clock clock.PassiveClock
}

// Health is a per-endpoint health record shared by every pull, so that a
// dead mirror costs one failed attempt, then is skipped until a single
// probe (the first attempt after its down time) finds it back. It is safe
// for concurrent use.
type Health struct {
	opts HealthOptions
	mu   sync.Mutex
	recs map[string]*record
}

type record struct {
	failures  int
	downUntil time.Time
	lastErr   string
}

// NewHealth returns an empty record (every endpoint up).
func NewHealth(opts HealthOptions) *Health {
	if opts.DownInitial <= 0 {
		opts.DownInitial = DefaultDownInitial
	}
	if opts.DownMax <= 0 {
		opts.DownMax = DefaultDownMax
	}
	if opts.HostFailure == nil {
		opts.HostFailure = IsNetworkError
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real()
	}
	return &Health{opts: opts, recs: map[string]*record{}}
}

// Status is what the record says about one endpoint.
type Status struct {
	Down      bool
	DownUntil time.Time
	Failures  int    // consecutive
	LastError string // of the last failure
}

// Status returns e's record.
func (h *Health) Status(e Endpoint) Status {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.recs[e.String()]
	if r == nil {
		return Status{}
	}
	return Status{Down: r.downUntil.After(h.opts.Clock.Now()), DownUntil: r.downUntil, Failures: r.failures, LastError: r.lastErr}
}

// Order returns the endpoints of eps that have every capability in want,
// in configuration order, leaving out those that are down. An endpoint
// whose down time has passed is included once (its probe) and skipped by
// other callers until that attempt reports Success or Failure or its
// down time passes again. When every capable endpoint is down, all of
// them are returned, in order: a pull never has nothing to try.
func (h *Health) Order(eps []Endpoint, want Capability) []Endpoint {
	now := h.opts.Clock.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	var up, capable []Endpoint
	for _, e := range eps {
		if !e.Capabilities.Has(want) {
			continue
		}
		capable = append(capable, e)
		r := h.recs[e.String()]
		switch {
		case r == nil || r.failures == 0:
			up = append(up, e)
		case !r.downUntil.After(now):
			// Due for a probe: this caller takes it; the others skip
			// the endpoint for another down time.
			r.downUntil = now.Add(h.downFor(r.failures))
			up = append(up, e)
		}
	}
	if len(up) == 0 {
		return capable
	}
	return up
}

// Success records that e answered: it is up.
func (h *Health) Success(e Endpoint) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.recs, e.String())
}

// Failure records err from e when HostFailure says it is the endpoint's
// fault; it returns whether e was marked down.
func (h *Health) Failure(e Endpoint, err error) bool {
	if err == nil || !h.opts.HostFailure(err) {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.recs[e.String()]
	if r == nil {
		r = &record{}
		h.recs[e.String()] = r
	}
	r.failures++
	r.downUntil = h.opts.Clock.Now().Add(h.downFor(r.failures))
	r.lastErr = err.Error()
	return true
}

// downFor is DownInitial doubled for each failure after the first,
// capped at DownMax.
func (h *Health) downFor(failures int) time.Duration {
	d := h.opts.DownInitial
	for i := 1; i < failures && d < h.opts.DownMax; i++ {
		d *= 2
	}
	return min(d, h.opts.DownMax)
}

// Try calls attempt with each endpoint of Order(eps, want) in turn until
// one succeeds, and returns that endpoint (say in events which host
// served the image). A failed attempt is recorded (Failure) and the next
// endpoint is tried, whatever the error: a timeout on one mirror does not
// end the pull (containerd #10624). Try stops early only when ctx ends.
// With every endpoint failed it returns the last error.
func (h *Health) Try(ctx context.Context, eps []Endpoint, want Capability, attempt func(context.Context, Endpoint) error) (Endpoint, error) {
	order := h.Order(eps, want)
	if len(order) == 0 {
		return Endpoint{}, errNoEndpoint{want}
	}
	var err error
	for _, e := range order {
		if cerr := ctx.Err(); cerr != nil {
			return Endpoint{}, cerr
		}
		if err = attempt(ctx, e); err == nil {
			h.Success(e)
			return e, nil
		}
		if ctx.Err() != nil {
			return Endpoint{}, err
		}
		h.Failure(e, err)
	}
	return Endpoint{}, err
}

type errNoEndpoint struct{ want Capability }

func (e errNoEndpoint) Error() string {
	return "no configured endpoint has the " + e.want.String() + " capability"
}

// IsNetworkError reports whether err is a failure to reach an endpoint:
// any net.Error (refused, reset, DNS, timeouts), a TLS failure (a
// certificate that does not verify, an http server on an https port) or
// a deadline (the caller's own ends Try before this is asked).
func IsNetworkError(err error) bool {
	var (
		ne  net.Error
		cve *tls.CertificateVerificationError
		rhe tls.RecordHeaderError
		uae x509.UnknownAuthorityError
		hne x509.HostnameError
	)
	return errors.As(err, &ne) || errors.As(err, &cve) || errors.As(err, &rhe) ||
		errors.As(err, &uae) || errors.As(err, &hne) || errors.Is(err, context.DeadlineExceeded)
}

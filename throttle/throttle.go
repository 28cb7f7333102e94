package throttle

import (
	"context"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"
	"golang.org/x/time/rate"
)

// Reason says why a host's requests wait.
type Reason string

// The reasons of a shared wait.
const (
	// RetryAfter: the registry answered 429 or 503 with Retry-After.
	RetryAfter Reason = "RetryAfter"
	// QuotaExhausted: the registry's quota headers (Docker Hub's
	// ratelimit-remaining: 0) say the pull quota is used up.
	QuotaExhausted Reason = "QuotaExhausted"
	// TooManyRequests: a 429 without any hint of how long to wait.
	TooManyRequests Reason = "TooManyRequests"
)

// Kind is what a request costs.
type Kind int

// The kinds of request.
const (
	// Other requests (the /v2/ ping, token requests, blob HEADs, uploads)
	// wait for the shared wait only.
	Other Kind = iota
	// Manifest requests (HEAD or GET of /v2/<name>/manifests/<ref>, and
	// GET /v2/<name>/tags/list) also take a token from the host's bucket.
	Manifest
	// Blob downloads (GET /v2/<name>/blobs/<digest>) wait for the shared
	// wait and take a transfer slot, held until the body is closed.
	Blob
)

// Classify tells the Kind of a request from its method and URL path.
func Classify(method, path string) Kind {
	if !strings.HasPrefix(path, "/v2/") {
		return Other
	}
	switch {
	case strings.Contains(path, "/manifests/") && (method == "GET" || method == "HEAD"):
		return Manifest
	case strings.HasSuffix(path, "/tags/list") && method == "GET":
		return Manifest
	case strings.Contains(path, "/blobs/") && !strings.Contains(path, "/blobs/uploads") && method == "GET":
		return Blob
	}
	return Other
}

// counted reports whether a request counts against Docker Hub's pull
// quota: a GET of a manifest (a HEAD does not count).
func counted(method, path string) bool {
	return method == "GET" && strings.HasPrefix(path, "/v2/") && strings.Contains(path, "/manifests/")
}

// Key is the name a Throttle files a URL's host under: the lower-cased
// host, with the scheme's default port (443 for https, 80 for http)
// removed.
func Key(u *url.URL) string {
	h := strings.ToLower(u.Host)
	switch {
	case u.Scheme == "https" && strings.HasSuffix(h, ":443"):
		h = strings.TrimSuffix(h, ":443")
	case u.Scheme == "http" && strings.HasSuffix(h, ":80"):
		h = strings.TrimSuffix(h, ":80")
	}
	return h
}

// Throttle admits requests to registry hosts for the whole node. It is
// safe for concurrent use; share one per process.
type Throttle struct {
	opts Options

	mu    sync.Mutex
	hosts map[string]*host
}

// host is the admission state of one registry host. Fields after mu are
// guarded by Throttle.mu.
type host struct {
	limiter *rate.Limiter       // nil: no token bucket
	slots   *semaphore.Weighted // nil: no transfer cap

	hold    time.Time // no request before
	holdWhy Reason
	quota   time.Time // no counted request (manifest GET) before
	noHint  int       // consecutive 429s without a hint
	seen    Quota
	// changed is closed and replaced when a wait ends early (a quota
	// header says there is room again), to wake sleeping waiters.
	changed chan struct{}
}

// New returns a Throttle with opts' zero fields set to their defaults.
func New(opts Options) *Throttle {
	return &Throttle{opts: opts.withDefaults(), hosts: map[string]*host{}}
}

// get returns the state of host h, creating it. t.mu must be held.
func (t *Throttle) get(h string) *host {
	if s, ok := t.hosts[h]; ok {
		return s
	}
	l, ok := t.opts.PerHost[h]
	if ok {
		l = l.withDefaults()
	} else {
		l = t.opts.Default
	}
	s := &host{changed: make(chan struct{})}
	if l.QPS > 0 {
		s.limiter = rate.NewLimiter(rate.Limit(l.QPS), l.Burst)
	}
	if l.Transfers > 0 {
		s.slots = semaphore.NewWeighted(int64(l.Transfers))
	}
	t.hosts[h] = s
	return s
}

// Wait blocks until a request of kind k (and, for a quota, whether it is
// counted) may be sent to host h: until h's shared wait has passed and,
// for Manifest requests, a token is available. It returns ctx's error when
// ctx ends first (a token it reserved is given back).
func (t *Throttle) Wait(ctx context.Context, h string, k Kind) error {
	return t.wait(ctx, h, k, false)
}

func (t *Throttle) wait(ctx context.Context, h string, k Kind, isCounted bool) error {
	if err := t.waitHold(ctx, h, isCounted); err != nil {
		return err
	}
	if k != Manifest {
		return nil
	}
	if err := t.waitToken(ctx, h); err != nil {
		return err
	}
	// A shared wait may have begun while this request waited for its
	// token: it still applies.
	return t.waitHold(ctx, h, isCounted)
}

// waitHold sleeps until neither h's shared wait nor (for a counted
// request) its quota wait is in force.
func (t *Throttle) waitHold(ctx context.Context, h string, isCounted bool) error {
	for {
		t.mu.Lock()
		s := t.get(h)
		until := s.hold
		if isCounted && s.quota.After(until) {
			until = s.quota
		}
		changed := s.changed
		now := t.opts.Clock.Now()
		t.mu.Unlock()
		if !until.After(now) {
			return ctx.Err()
		}
		if err := t.sleep(ctx, until.Sub(now), changed); err != nil {
			return err
		}
	}
}

// waitToken takes one token from h's bucket, sleeping until it is there.
func (t *Throttle) waitToken(ctx context.Context, h string) error {
	t.mu.Lock()
	lim := t.get(h).limiter
	t.mu.Unlock()
	if lim == nil {
		return ctx.Err()
	}
	now := t.opts.Clock.Now()
	r := lim.ReserveN(now, 1)
	d := r.DelayFrom(now)
	if d <= 0 {
		return ctx.Err()
	}
	if err := t.sleep(ctx, d, nil); err != nil {
		r.CancelAt(t.opts.Clock.Now())
		return err
	}
	return nil
}

// sleep waits d on the Throttle's clock, or until ctx ends or wake is
// closed (nil: never).
func (t *Throttle) sleep(ctx context.Context, d time.Duration, wake <-chan struct{}) error {
	timer := t.opts.Clock.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C():
		return nil
	case <-wake:
		return nil
	}
}

// Acquire takes one of h's transfer slots, waiting for one; call release
// once the transfer ends. Without a cap it returns at once.
func (t *Throttle) Acquire(ctx context.Context, h string) (release func(), err error) {
	t.mu.Lock()
	slots := t.get(h).slots
	t.mu.Unlock()
	if slots == nil {
		return func() {}, ctx.Err()
	}
	if err := slots.Acquire(ctx, 1); err != nil {
		return nil, err
	}
	var once sync.Once
	return func() { once.Do(func() { slots.Release(1) }) }, nil
}

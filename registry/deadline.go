package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pullwarden/pullwarden/clock"
)

// Errors of the watchdog that guards every request.
var (
	errNoHeaders = errors.New("no response from the registry within the header timeout")
	errStalled   = errors.New("no bytes received within the stall timeout")
	errTooSlow   = errors.New("the transfer was slower than the minimum progress")
)

// watchError is a request ended by the watchdog. It does not wrap the
// context's cancellation: the caller did not cancel anything.
type watchError struct {
	err   error // errNoHeaders, errStalled or errTooSlow
	limit string
}

func (e *watchError) Error() string { return fmt.Sprintf("%s (%s)", e.err.Error(), e.limit) }
func (e *watchError) Unwrap() error { return e.err }

// deadlineGuard bounds every request of the protocol (ping, token
// exchange, manifests, blobs, redirects): the response headers must arrive
// within HeaderTimeout; then the body must not stall for StallTimeout and
// must bring at least MinProgress bytes every ProgressWindow. It also notes
// the Retry-After of 429 and 503 answers for the retry loop (see note).
// It sits below ggcr's auth transports, so it sees every request.
type deadlineGuard struct {
	o     *Options
	inner http.RoundTripper
}

func (g *deadlineGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(req.Context())
	w := &watch{o: g.o, clk: g.o.Clock, cancel: cancel, kick: make(chan struct{}, 1), done: make(chan struct{})}
	w.last.Store(g.o.Clock.Now().UnixNano())
	go w.run(ctx)
	resp, err := g.inner.RoundTrip(req.WithContext(ctx))
	if err != nil {
		err = w.explain(ctx, err)
		w.stop()
		cancel(nil)
		return nil, err
	}
	noteResponse(req.Context(), resp, g.o.Clock.Now())
	w.touch(0)
	w.headers.Store(true)
	w.signal()
	resp.Body = &watchedBody{rc: resp.Body, w: w, ctx: ctx, cancel: cancel}
	return resp, nil
}

// watch is the watchdog of one request.
type watch struct {
	o       *Options
	clk     clock.Clock
	cancel  context.CancelCauseFunc
	headers atomic.Bool
	bytes   atomic.Int64
	last    atomic.Int64 // unix nanoseconds of the headers or the last byte
	kick    chan struct{}
	done    chan struct{}
	once    sync.Once
}

func (w *watch) signal() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

func (w *watch) stop() { w.once.Do(func() { close(w.done) }) }

func (w *watch) touch(n int) {
	w.last.Store(w.clk.Now().UnixNano())
	w.bytes.Add(int64(n))
}

// run ends the request with a *watchError when a limit is crossed. It
// decides from the clock's time, whichever timer woke it, so a test that
// steps a fake clock past a limit sees the limit enforced.
func (w *watch) run(ctx context.Context) {
	start := w.clk.Now()
	timer := w.clk.NewTimer(w.o.HeaderTimeout)
	defer timer.Stop()
	var windowStart time.Time
	var windowBytes int64
	body := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.done:
			return
		case <-w.kick:
		case <-timer.C():
		}
		now := w.clk.Now()
		if !w.headers.Load() {
			if left := w.o.HeaderTimeout - now.Sub(start); left > 0 {
				timer.Reset(left)
				continue
			}
			w.end(errNoHeaders, fmt.Sprintf("header timeout %s", w.o.HeaderTimeout))
			return
		}
		if !body {
			body, windowStart, windowBytes = true, now, w.bytes.Load()
		}
		last := time.Unix(0, w.last.Load())
		if now.Sub(last) >= w.o.StallTimeout {
			w.end(errStalled, fmt.Sprintf("stall timeout %s", w.o.StallTimeout))
			return
		}
		if now.Sub(windowStart) >= w.o.ProgressWindow {
			if got := w.bytes.Load() - windowBytes; got < w.o.MinProgress {
				w.end(errTooSlow, fmt.Sprintf("%d bytes in %s, minimum %d", got, now.Sub(windowStart).Round(time.Millisecond), w.o.MinProgress))
				return
			}
			windowStart, windowBytes = now, w.bytes.Load()
		}
		next := min(last.Add(w.o.StallTimeout).Sub(now), windowStart.Add(w.o.ProgressWindow).Sub(now))
		timer.Reset(max(next, time.Millisecond))
	}
}

func (w *watch) end(err error, limit string) {
	w.o.Logger.Debug("request ended by the watchdog", "error", err, "limit", limit)
	w.cancel(&watchError{err: err, limit: limit})
}

// explain returns the watchdog's error when it ended the request, else err.
func (w *watch) explain(ctx context.Context, err error) error {
	var we *watchError
	if errors.As(context.Cause(ctx), &we) {
		return we
	}
	return err
}

// watchedBody feeds the watchdog and ends it with the body.
type watchedBody struct {
	rc     io.ReadCloser
	w      *watch
	ctx    context.Context
	cancel context.CancelCauseFunc
}

func (b *watchedBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if n > 0 {
		b.w.touch(n)
	}
	switch {
	case err == io.EOF:
		b.w.stop()
	case err != nil:
		err = b.w.explain(b.ctx, err)
	}
	return n, err
}

func (b *watchedBody) Close() error {
	err := b.rc.Close()
	b.w.stop()
	b.cancel(nil)
	return err
}

// note collects what responses of one attempt said about waiting: the
// Retry-After of a 429 or 503, which ggcr's ping and token exchange drop
// from their errors.
type note struct {
	mu    sync.Mutex
	after time.Duration
	has   bool
}

type noteKey struct{}

func withNote(ctx context.Context) (context.Context, *note) {
	n := &note{}
	return context.WithValue(ctx, noteKey{}, n), n
}

func noteResponse(ctx context.Context, resp *http.Response, now time.Time) {
	n, _ := ctx.Value(noteKey{}).(*note)
	if n == nil || (resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable) {
		return
	}
	if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), now); ok {
		n.mu.Lock()
		n.after, n.has = d, true
		n.mu.Unlock()
	}
}

func (n *note) retryAfter() (time.Duration, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.after, n.has
}

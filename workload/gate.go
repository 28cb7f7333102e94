package workload

import (
	"context"
	"sync"
	"time"

	"github.com/pullwarden/pullwarden/cause"
	"github.com/pullwarden/pullwarden/diagnose"
	"github.com/pullwarden/pullwarden/reference"
)

// gates bound concurrency per registry and hold a registry's requests
// until the Retry-After it asked for has passed.
type gates struct {
	o     CheckOptions
	mu    sync.Mutex
	slots map[string]chan struct{}
	until map[string]time.Time
}

func newGates(o CheckOptions) *gates {
	return &gates{o: o, slots: map[string]chan struct{}{}, until: map[string]time.Time{}}
}

func (g *gates) slot(host string) chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.slots[host]
	if s == nil {
		s = make(chan struct{}, g.o.PerRegistry)
		g.slots[host] = s
	}
	return s
}

func (g *gates) wait(ctx context.Context, host string) error {
	g.mu.Lock()
	until := g.until[host]
	g.mu.Unlock()
	if d := until.Sub(g.o.Clock.Now()); d > 0 {
		return g.o.Sleep(ctx, d)
	}
	return nil
}

func (g *gates) hold(host string, d time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if t := g.o.Clock.Now().Add(d); t.After(g.until[host]) {
		g.until[host] = t
	}
}

// run checks req within its registry's limits; a Retry-After up to
// MaxRetryAfter closes the registry's gate for that long, then req is
// checked once more.
func (g *gates) run(ctx context.Context, req diagnose.Request) diagnose.Result {
	host := ""
	if ref, err := reference.Parse(req.Image); err == nil {
		host = ref.Registry()
	}
	s := g.slot(host)
	for attempt := 0; ; attempt++ {
		if err := g.wait(ctx, host); err != nil {
			return g.o.Checker.Check(ctx, req) // ctx ended: the check reports it
		}
		s <- struct{}{}
		res := g.o.Checker.Check(ctx, req)
		<-s
		after := time.Duration(res.RetryAfter * float64(time.Second))
		if res.Reason != cause.RateLimited.Reason() || after <= 0 || after > g.o.MaxRetryAfter || attempt > 0 {
			return res
		}
		g.hold(host, after)
	}
}

package pull

import (
	"context"
	"log/slog"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/pullwarden/pullwarden/cause"
	"github.com/pullwarden/pullwarden/reference"
)

// Resolver is the optional capability of a Fetcher that the re-checks use:
// one manifest HEAD (*registry.Client.Resolve).
type Resolver interface {
	Resolve(ctx context.Context, ref reference.Reference, auth authn.Authenticator) (v1.Descriptor, error)
}

// RunRechecks re-checks the images held for a cause that needs a person,
// until ctx ends: one manifest HEAD per (image, credential) when due on
// the shared schedule, whatever the number of pods waiting on it. When the
// registry has the image, the hold is released (OnRetry, TriggerRecheck).
// Without a Resolver (a Fetcher that cannot HEAD) it only waits for ctx.
//
// With RetryOptions.Probe it also probes the hosts of images held for
// RegistryUnreachable; the first answer releases them all.
func (p *Puller) RunRechecks(ctx context.Context) error {
	if probe := p.retryOpts.Probe; probe != nil {
		go func() {
			_ = p.probes.Run(ctx, func(ctx context.Context, host string, waiters []string) {
				if probe(ctx, host) != nil {
					return
				}
				for _, w := range waiters {
					p.probes.Unregister(host, w)
				}
				p.release(TriggerRegistryBack, func(img string, h *hold) bool {
					ref, err := reference.Parse(img)
					return err == nil && h.cause == cause.RegistryUnreachable && strings.EqualFold(ref.Registry(), host)
				})
			})
		}()
	}
	res, ok := p.fetcher.(Resolver)
	if !ok {
		<-ctx.Done()
		return ctx.Err()
	}
	return p.rechecks.Run(ctx, func(ctx context.Context, k checkKey, _ []string) {
		p.recheck(ctx, res, k)
	})
}

func (p *Puller) recheck(ctx context.Context, res Resolver, k checkKey) {
	ref, err := reference.Parse(k.Image)
	if err != nil {
		return
	}
	p.holdMu.Lock()
	cred := p.recheckCreds[k]
	p.holdMu.Unlock()
	auth := authn.Anonymous
	if cred.Source != "" {
		auth = cred.Authenticator()
	}
	if _, err := res.Resolve(ctx, ref, auth); err != nil {
		p.logger.LogAttrs(ctx, slog.LevelDebug, "re-check", slog.String("image", k.Image), slog.String("error", err.Error()))
		return
	}
	p.release(TriggerRecheck, func(image string, h *hold) bool { return h.check == k })
}

// release drops the holds that match and tells OnRetry which pods may pull
// now. It returns how many holds it released.
func (p *Puller) release(trig Trigger, match func(image string, h *hold) bool) int {
	var out []Retried
	p.holdMu.Lock()
	for k, h := range p.holds {
		image := k.Image
		if !match(image, h) {
			continue
		}
		delete(p.holds, k)
		r := Retried{Image: image, Trigger: trig}
		for w := range h.waiters {
			p.rechecks.Unregister(h.check, w)
			r.Waiters = append(r.Waiters, w)
		}
		delete(p.recheckCreds, h.check)
		p.releases[image] = released{trigger: trig, at: p.clock.Now()}
		out = append(out, r)
	}
	if len(out) > 0 {
		p.waitingLocked()
	}
	p.holdMu.Unlock()
	for _, r := range out {
		p.notifyRetry(r)
	}
	return len(out)
}

func (p *Puller) notifyRetry(r Retried) {
	if p.retryOpts.OnRetry != nil && len(r.Waiters) > 0 {
		p.retryOpts.OnRetry(r)
	}
}

// RetryImage releases the hold on image (a reference as the store names
// it, or as written) at once: its waiting pods pull on their next sync.
func (p *Puller) RetryImage(image string, trig Trigger) int {
	if ref, err := reference.Parse(image); err == nil {
		image = ref.String()
	}
	return p.release(trig, func(img string, _ *hold) bool { return img == image })
}

// RetryRepository releases the holds on every image of repository (a
// normalised name, "localhost:5000/app"): a push was announced.
func (p *Puller) RetryRepository(repository string, trig Trigger) int {
	return p.release(trig, func(img string, _ *hold) bool {
		ref, err := reference.Parse(img)
		return err == nil && ref.Name() == repository
	})
}

// RetryRegistry releases the holds on every image of registry host.
func (p *Puller) RetryRegistry(host string, trig Trigger) int {
	return p.release(trig, func(img string, _ *hold) bool {
		ref, err := reference.Parse(img)
		return err == nil && strings.EqualFold(ref.Registry(), host)
	})
}

// RetryWaiter retries the pulls of one pod (UID) at once, under either
// policy: the holds it waits on are released (for every pod waiting on
// them), its kubelet backoff entries are forgotten, and OnRetry is told
// even when nothing was held, so that the pod syncs now.
func (p *Puller) RetryWaiter(uid string, trig Trigger) {
	p.backoff.ResetPrefix(uid + "_")
	n := p.release(trig, func(_ string, h *hold) bool { return h.waiters[uid] })
	if n == 0 {
		p.notifyRetry(Retried{Waiters: []string{uid}, Trigger: trig})
	}
}

// Holds returns the images held under the smart policy with their cause
// reason and waiting pods, for metrics and status.
func (p *Puller) Holds() map[string]Hold {
	p.holdMu.Lock()
	defer p.holdMu.Unlock()
	out := map[string]Hold{}
	for k, h := range p.holds {
		if h.cause == nil {
			continue
		}
		hh := out[k.Image] // holds of several credentials: one entry
		hh.Cause, hh.Until = h.cause.Reason(), h.until
		for w := range h.waiters {
			hh.Waiters = append(hh.Waiters, w)
		}
		out[k.Image] = hh
	}
	return out
}

// RetryHeld releases the holds that pod uid waits on (for every pod
// waiting on them) and reports how many; nothing else changes. A changed
// secret or service account of the pod calls it.
func (p *Puller) RetryHeld(uid string, trig Trigger) int {
	return p.release(trig, func(_ string, h *hold) bool { return h.waiters[uid] })
}

// Forget removes pod uid from every hold it waits on (the pod is gone); a
// hold left without waiters is dropped.
func (p *Puller) Forget(uid string) {
	p.holdMu.Lock()
	defer p.holdMu.Unlock()
	for k, h := range p.holds {
		if !h.waiters[uid] {
			continue
		}
		delete(h.waiters, uid)
		p.rechecks.Unregister(h.check, uid)
		if len(h.waiters) == 0 {
			delete(p.holds, k)
			delete(p.recheckCreds, h.check)
		}
	}
	p.waitingLocked()
}

package pull

import (
	"context"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/pullwarden/pullwarden/cause"
	"github.com/pullwarden/pullwarden/credential"
	"github.com/pullwarden/pullwarden/reference"
	"github.com/pullwarden/pullwarden/registry"
	"github.com/pullwarden/pullwarden/store"
)

// flight is one transfer shared by every caller that wants the same image
// with the same credential. It runs under its own context, not under any
// caller's: it lives while at least one caller still waits for it and is
// canceled when the last one leaves.
type flight struct {
	done   chan struct{}
	cancel context.CancelFunc
	res    Result
	err    error
	// Guarded by Puller.mu.
	callers  int
	next     int
	progress map[int]func(registry.Progress)
}

// fetchShared runs one transfer per (image, credential) at a time; callers
// that arrive while it runs join it and get its result. A caller whose ctx
// ends leaves with cause.Canceled; the transfer goes on for the others and
// stops when nobody waits for it any more.
func (p *Puller) fetchShared(ctx context.Context, ref reference.Reference, cred *credential.Credential, progress func(registry.Progress)) (Result, error) {
	key := ref.String() + "\x00"
	auth := authn.Anonymous
	if cred != nil {
		key += cred.Source
		auth = cred.Authenticator()
	}
	start := p.clock.Now()

	p.mu.Lock()
	f, joined := p.inflight[key]
	if !joined {
		fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		f = &flight{done: make(chan struct{}), cancel: cancel, progress: map[int]func(registry.Progress){}}
		p.inflight[key] = f
		go p.runFlight(fctx, key, f, ref, auth)
	}
	f.callers++
	id := f.next
	f.next++
	if progress != nil {
		f.progress[id] = progress
	}
	p.mu.Unlock()

	select {
	case <-f.done:
		res := f.res
		if joined {
			// Everything a joiner saw was waiting for another's transfer.
			res.Waited = p.clock.Since(start)
			res.Downloaded = 0
			res.Resumed = 0
		}
		return res, f.err
	case <-ctx.Done():
		p.leave(key, f, id)
		return Result{}, cause.Wrap(cause.Canceled, ctx.Err(), "pull of %s canceled", ref)
	}
}

// leave removes a caller from f; the last one cancels the transfer and
// unlists it so that a later caller starts afresh.
func (p *Puller) leave(key string, f *flight, id int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(f.progress, id)
	f.callers--
	if f.callers > 0 {
		return
	}
	f.cancel()
	if p.inflight[key] == f {
		delete(p.inflight, key)
	}
}

func (p *Puller) runFlight(ctx context.Context, key string, f *flight, ref reference.Reference, auth authn.Authenticator) {
	defer f.cancel()
	defer func() {
		p.mu.Lock()
		if p.inflight[key] == f {
			delete(p.inflight, key)
		}
		p.mu.Unlock()
		close(f.done)
	}()
	queued := p.clock.Now()
	release, err := p.acquire(ctx)
	if err != nil {
		f.err = cause.Wrap(cause.Canceled, err, "pull of %s canceled while waiting for a pull slot", ref)
		return
	}
	defer release()
	waited := p.clock.Since(queued)
	f.res, f.err = p.fetchMirrored(ctx, ref, auth, func(pr registry.Progress) {
		p.mu.Lock()
		ws := make([]func(registry.Progress), 0, len(f.progress))
		for _, w := range f.progress {
			ws = append(ws, w)
		}
		p.mu.Unlock()
		for _, w := range ws {
			w(pr)
		}
	})
	f.res.Waited = waited
}

// fetch transfers from (ref itself, or ref on a mirror) under a lease and
// records the image under ref's name.
func (p *Puller) fetch(ctx context.Context, ref, from reference.Reference, auth authn.Authenticator, progress func(registry.Progress)) (Result, error) {
	release, err := p.store.Lease(ctx)
	if err != nil {
		return Result{}, storeErr(err)
	}
	defer func() { _ = release() }()

	r, err := p.fetcher.Fetch(ctx, from, auth, p.store, progress)
	if err != nil {
		return Result{}, err
	}
	img := store.Image{Name: ref.String(), Target: r.Target, RepoDigest: r.RepoDigest, Created: p.clock.Now()}
	if err := p.store.PutImage(ctx, img); err != nil {
		return Result{}, storeErr(err)
	}
	return Result{RepoDigest: r.RepoDigest, Target: r.Target, Size: r.Size, Downloaded: r.Downloaded, Resumed: r.Resumed}, nil
}

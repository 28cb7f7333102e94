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

// fetchShared runs one transfer per (image, credential) at a time; callers
// that arrive while it runs wait for it and get its result.
func (p *Puller) fetchShared(ctx context.Context, ref reference.Reference, cred *credential.Credential, progress func(registry.Progress)) (Result, error) {
	key := ref.String() + "\x00"
	auth := authn.Anonymous
	if cred != nil {
		key += cred.Source
		auth = cred.Authenticator()
	}

	p.mu.Lock()
	if f, ok := p.inflight[key]; ok {
		if progress != nil {
			f.waiters = append(f.waiters, progress)
		}
		p.mu.Unlock()
		start := p.now()
		select {
		case <-f.done:
			res := f.res
			res.Waited = p.now().Sub(start)
			res.Downloaded = 0
			return res, f.err
		case <-ctx.Done():
			return Result{}, cause.Wrap(cause.Canceled, ctx.Err(), "pull of %s canceled", ref)
		}
	}
	f := &flight{done: make(chan struct{})}
	if progress != nil {
		f.waiters = append(f.waiters, progress)
	}
	p.inflight[key] = f
	p.mu.Unlock()

	f.res, f.err = p.fetch(ctx, ref, auth, func(pr registry.Progress) {
		p.mu.Lock()
		ws := append([]func(registry.Progress){}, f.waiters...)
		p.mu.Unlock()
		for _, w := range ws {
			w(pr)
		}
	})
	p.mu.Lock()
	delete(p.inflight, key)
	p.mu.Unlock()
	close(f.done)
	return f.res, f.err
}

// fetch transfers ref under a lease and records its name.
func (p *Puller) fetch(ctx context.Context, ref reference.Reference, auth authn.Authenticator, progress func(registry.Progress)) (Result, error) {
	release, err := p.store.Lease(ctx)
	if err != nil {
		return Result{}, storeErr(err)
	}
	defer func() { _ = release() }()

	r, err := p.fetcher.Fetch(ctx, ref, auth, p.store, progress)
	if err != nil {
		return Result{}, err
	}
	img := store.Image{Name: ref.String(), Target: r.Target, RepoDigest: r.RepoDigest, Created: p.now()}
	if err := p.store.PutImage(ctx, img); err != nil {
		return Result{}, storeErr(err)
	}
	return Result{RepoDigest: r.RepoDigest, Target: r.Target, Size: r.Size, Downloaded: r.Downloaded}, nil
}

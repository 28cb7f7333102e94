package registry

import (
	"cmp"
	"context"
	"errors"
	"slices"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sync/errgroup"

	"github.com/pullwarden/pullwarden/cause"
	"github.com/pullwarden/pullwarden/reference"
	"github.com/pullwarden/pullwarden/store"
)

// Result describes a completed Fetch.
type Result struct {
	// RepoDigest is what the reference resolved to: the index digest for
	// a multi-platform image, else the manifest digest.
	RepoDigest v1.Hash
	// Target is the platform manifest.
	Target v1.Descriptor
	// Size is the image size: manifest + config + layers bytes.
	Size int64
	// Downloaded is the number of body bytes this call transferred.
	Downloaded int64
	// Resumed is the number of bytes of partial blobs left by an earlier
	// call or process that this call continued with Range instead of
	// downloading again.
	Resumed int64
}

// Fetch downloads ref's image for Options.Platform into st: it resolves ref
// (HEAD first), reads the index and platform manifest from st when present
// or from the registry (verified against their digests), then downloads the
// config and layers st lacks, Options.Parallel at a time, resuming partial
// blobs and verifying digests. Manifests are committed last, platform
// manifest before index, so a committed manifest means its blobs were
// fetched. It does not record the image name: the caller calls st.PutImage.
//
// progress, when not nil, receives reports one at a time (never
// concurrently). Failures are *cause.Error.
func (c *Client) Fetch(ctx context.Context, ref reference.Reference, auth authn.Authenticator, st store.Store, progress func(Progress)) (Result, error) {
	var res Result
	err := c.withSession(ctx, sessionRef{ref, auth}, func(s *session) error {
		var err error
		res, err = s.fetch(ctx, ref, st, progress)
		return err
	})
	return res, err
}

func (s *session) fetch(ctx context.Context, ref reference.Reference, st store.Store, progress func(Progress)) (Result, error) {
	c := s.c
	rep := &reporter{fn: progress}
	top, body, err := s.resolve(ctx, ref)
	if err != nil {
		return Result{}, err
	}
	what := manifestOf(ref)
	if err := s.checkMediaType(top.MediaType, what); err != nil {
		return Result{}, err
	}
	if body, err = s.manifestBytes(ctx, st, top, body, rep); err != nil {
		return Result{}, err
	}
	type pending struct {
		desc v1.Descriptor
		body []byte
	}
	commit := []pending{{top, body}}
	target, targetBody := top, body
	if isIndex(top.MediaType) {
		idx, err := s.parseIndex(body, what)
		if err != nil {
			return Result{}, err
		}
		if target, err = s.selectPlatform(idx, *c.opts.Platform, what); err != nil {
			return Result{}, err
		}
		if targetBody, err = s.manifestBytes(ctx, st, target, nil, rep); err != nil {
			return Result{}, err
		}
		commit = append([]pending{{target, targetBody}}, commit...)
	}
	blobs, err := s.parseManifest(targetBody, "manifest "+target.Digest.String())
	if err != nil {
		return Result{}, err
	}
	res := Result{RepoDigest: top.Digest, Target: target, Size: target.Size}
	for _, b := range blobs {
		res.Size += b.Size
	}
	if err := s.blobs(ctx, st, blobs, rep); err != nil {
		return Result{}, err
	}
	for _, p := range commit {
		if err := s.putManifest(ctx, st, p.desc, p.body, rep); err != nil {
			return Result{}, err
		}
	}
	res.Downloaded = s.downloaded.load()
	res.Resumed = s.resumed.load()
	return res, nil
}

// blobs downloads blobs in parallel, at most Options.Parallel at once,
// the largest first: the longest transfer starts at once instead of after
// the blobs listed before it, and the small ones fill the other slots (in
// manifest order the large application layer usually comes last and the
// pull ends on one stream). The first failure cancels the others and is
// returned.
func (s *session) blobs(ctx context.Context, st store.Store, blobs []v1.Descriptor, rep *reporter) error {
	for _, b := range blobs {
		rep.report(b, 0, Waiting)
	}
	order := slices.Clone(blobs)
	slices.SortStableFunc(order, func(a, b v1.Descriptor) int { return cmp.Compare(b.Size, a.Size) })
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.c.opts.Parallel)
	for _, b := range order {
		g.Go(func() error { return s.blob(gctx, st, b, rep) })
	}
	return g.Wait()
}

// manifestBytes returns desc's body: body when already known, else from
// st when committed there, else a GET by digest (retried, verified).
func (s *session) manifestBytes(ctx context.Context, st store.Store, desc v1.Descriptor, body []byte, rep *reporter) ([]byte, error) {
	if body != nil {
		return body, nil
	}
	what := "manifest " + desc.Digest.String()
	if desc.Size > store.MaxManifestSize {
		return nil, s.t.classify(errTooLarge, what)
	}
	b, err := store.ReadAll(ctx, st, desc.Digest, store.MaxManifestSize)
	if err == nil {
		rep.report(desc, desc.Size, Present)
		return b, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, s.storeErr(ctx, err, desc)
	}
	err = s.c.retry(ctx, s.t, what, func(ctx context.Context, _ int) error {
		var got v1.Descriptor
		b, got, err = s.getManifest(ctx, desc.Digest.String(), &desc.Digest)
		if err == nil && desc.Size > 0 && got.Size != desc.Size {
			return cause.New(cause.ManifestInvalid, "%s of repository %q on registry %s has %d bytes, not the %d its descriptor says",
				what, s.repo, s.t.host, got.Size, desc.Size)
		}
		return err
	})
	return b, err
}

// putManifest commits a verified manifest body into st.
func (s *session) putManifest(ctx context.Context, st store.Store, desc v1.Descriptor, body []byte, rep *reporter) error {
	desc.Size = int64(len(body))
	w, err := st.Writer(ctx, desc)
	if errors.Is(err, store.ErrAlreadyExists) {
		return nil
	}
	if err != nil {
		return s.storeErr(ctx, err, desc)
	}
	defer w.Close()
	if w.Offset() != 0 {
		if err := w.Truncate(0); err != nil {
			return s.storeErr(ctx, err, desc)
		}
	}
	if _, err := w.Write(body); err != nil {
		return s.storeErr(ctx, err, desc)
	}
	if err := w.Commit(ctx); err != nil {
		return s.storeErr(ctx, err, desc)
	}
	rep.report(desc, desc.Size, Done)
	return nil
}

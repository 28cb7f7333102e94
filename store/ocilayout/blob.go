package ocilayout

import (
	"context"
	"io"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/pullwarden/pullwarden/store"
)

// Info returns a committed blob's size, or store.ErrNotFound. While a Lease
// of this Store lives, Info also marks the blob as used now, so that GC
// keeps it for the lease.
func (s *Store) Info(ctx context.Context, dgst v1.Hash) (store.Info, error) {
	if err := checkDigest(dgst); err != nil {
		return store.Info{}, notFound("blob %s: %v", dgst, err)
	}
	if err := ctx.Err(); err != nil {
		return store.Info{}, err
	}
	p := s.blobPath(dgst)
	fi, err := os.Stat(p)
	if isNotExist(err) {
		return store.Info{}, notFound("blob %s", dgst)
	}
	if err != nil {
		return store.Info{}, storeErr(err, "cannot read blob %s: %v", p, err)
	}
	if !fi.Mode().IsRegular() {
		return store.Info{}, storeErr(nil, "blob %s is not a regular file", p)
	}
	if s.leases.Load() > 0 {
		// A GC between the stat and the touch removes it: not found.
		if err := s.touch(ctx, p); err != nil {
			if isNotExist(err) {
				return store.Info{}, notFound("blob %s", dgst)
			}
			return store.Info{}, err
		}
	}
	return store.Info{Digest: dgst, Size: fi.Size()}, nil
}

// Open reads a committed blob, or returns store.ErrNotFound.
func (s *Store) Open(ctx context.Context, dgst v1.Hash) (io.ReadCloser, error) {
	if err := checkDigest(dgst); err != nil {
		return nil, notFound("blob %s: %v", dgst, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p := s.blobPath(dgst)
	f, err := os.Open(p)
	if isNotExist(err) {
		return nil, notFound("blob %s", dgst)
	}
	if err != nil {
		return nil, storeErr(err, "cannot open blob %s: %v", p, err)
	}
	return f, nil
}

// touch sets a blob's modification time to now, under the shared store
// lock so that a running GC decides on it either before or after.
func (s *Store) touch(ctx context.Context, p string) error {
	l, err := lock(ctx, s.path(storeLock), false, s.opts.pollInterval)
	if err != nil {
		return err
	}
	defer l.Close()
	now := s.opts.now()
	if err := os.Chtimes(p, now, now); err != nil {
		if isNotExist(err) {
			return err
		}
		return storeErr(err, "cannot update time of blob %s: %v", p, err)
	}
	return nil
}

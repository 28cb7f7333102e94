package ocilayout

import (
	"context"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/pullwarden/pullwarden/store"
)

var _ store.BlobRemover = (*Store)(nil)

// RemoveDamagedBlob re-hashes the committed blob dgst and deletes it when
// its content does not match dgst (or it cannot be read), so that the next
// pull of an image that uses it fetches it again. removed is false when
// the blob is absent or sound. It holds the store lock shared, as a Lease
// does, so that it does not run inside a GC.
func (s *Store) RemoveDamagedBlob(ctx context.Context, dgst v1.Hash) (bool, error) {
	if err := checkDigest(dgst); err != nil {
		return false, nil
	}
	p := s.blobPath(dgst)
	if _, err := os.Lstat(p); isNotExist(err) {
		return false, nil
	}
	if err := s.writable("remove damaged blob %s", p); err != nil {
		return false, err
	}
	l, err := lock(ctx, s.path(storeLock), false, s.opts.pollInterval)
	if err != nil {
		return false, err
	}
	defer l.Close()
	f, err := os.Open(p)
	if isNotExist(err) {
		return false, nil
	}
	if err == nil {
		got, _, herr := hashReader(f)
		f.Close()
		if herr == nil && got == dgst {
			return false, nil // sound
		}
	}
	if err := os.Remove(p); err != nil {
		if isNotExist(err) {
			return false, nil
		}
		return false, storeErr(err, "cannot remove damaged blob %s: %v", p, err)
	}
	s.opts.logger.Info("store: removed damaged blob", "path", p)
	return true, nil
}

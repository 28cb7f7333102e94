package containerd

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/errdefs"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/pullwarden/pullwarden/store"
)

var _ store.BlobRemover = (*Store)(nil)

// RemoveDamagedBlob re-reads the committed blob dgst from containerd and
// deletes it when its content does not match dgst, so that the next pull
// of an image using it fetches it again (store.RepairImage). removed is
// false when the blob is absent or sound.
func (s *Store) RemoveDamagedBlob(ctx context.Context, dgst v1.Hash) (bool, error) {
	cctx := s.ctx(ctx)
	cs := s.client.ContentStore()
	ra, err := cs.ReaderAt(cctx, ocispec.Descriptor{Digest: toDigest(dgst)})
	if errdefs.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, s.fail(err, "blob %s", dgst)
	}
	h := sha256.New()
	_, rerr := io.Copy(h, content.NewReader(ra))
	ra.Close()
	if ctx.Err() != nil {
		return false, s.fail(ctx.Err(), "blob %s", dgst)
	}
	if rerr == nil && hex.EncodeToString(h.Sum(nil)) == dgst.Hex {
		return false, nil
	}
	if err := cs.Delete(cctx, toDigest(dgst)); err != nil {
		if errdefs.IsNotFound(err) {
			return false, nil
		}
		return false, s.fail(err, "remove damaged blob %s", dgst)
	}
	s.logger.Info("removed damaged blob", "digest", dgst.String())
	return true, nil
}

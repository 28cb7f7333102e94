package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/pullwarden/pullwarden/cause"
)

// Damage is a blob of an image that is missing, or whose content does not
// match its digest.
type Damage struct {
	// Image is the image's name.
	Image string
	// Digest is the blob concerned.
	Digest v1.Hash
	// Missing is true when the blob is absent, false when it is corrupt.
	Missing bool
	// Removed is true when RepairImage deleted the corrupt blob, so that the
	// image is incomplete and its next pull fetches the blob again.
	Removed bool
	// Err says what is wrong, naming the image and the blob: a
	// *cause.Error with cause.StoreFailed.
	Err error
}

func (d Damage) Error() string { return d.Err.Error() }

// BlobRemover is a Store that can delete a damaged blob.
type BlobRemover interface {
	// RemoveDamagedBlob re-reads the committed blob dgst and deletes it
	// if its content does not match dgst; removed is false when it is
	// absent or sound.
	RemoveDamagedBlob(ctx context.Context, dgst v1.Hash) (removed bool, err error)
}

// VerifyImage re-hashes img's target and every blob it refers to (through
// an index, every manifest and theirs) and returns those missing or
// corrupt. The error is for failures that stopped the check.
func VerifyImage(ctx context.Context, s Store, img Image) ([]Damage, error) {
	var out []Damage
	seen := map[v1.Hash]bool{}
	queue := []v1.Descriptor{img.Target}
	for len(queue) > 0 {
		d := queue[0]
		queue = queue[1:]
		if seen[d.Digest] {
			continue
		}
		seen[d.Digest] = true
		dmg, err := verifyBlob(ctx, s, img.Name, d)
		if err != nil {
			return out, err
		}
		if dmg != nil {
			out = append(out, *dmg)
			continue // do not parse damaged content
		}
		kids, err := Children(ctx, s, d)
		if err != nil {
			if cause.Of(err) == cause.ManifestInvalid {
				// Its digest matched: the registry sent it so. Not damage.
				continue
			}
			return out, err
		}
		queue = append(queue, kids...)
	}
	return out, nil
}

// verifyBlob re-hashes one blob; it returns nil when the blob is sound.
func verifyBlob(ctx context.Context, s Store, image string, d v1.Descriptor) (*Damage, error) {
	rc, err := s.Open(ctx, d.Digest)
	if errors.Is(err, ErrNotFound) {
		return &Damage{Image: image, Digest: d.Digest, Missing: true,
			Err: cause.New(cause.StoreFailed, "image %s: blob %s is missing", image, d.Digest)}, nil
	}
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, ctxReader{ctx, rc})
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return &Damage{Image: image, Digest: d.Digest,
			Err: cause.Wrap(cause.StoreFailed, err, "image %s: cannot read blob %s: %v", image, d.Digest, err)}, nil
	}
	got := v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(h.Sum(nil))}
	if got != d.Digest || (d.Size > 0 && n != d.Size) {
		return &Damage{Image: image, Digest: d.Digest,
			Err: cause.New(cause.StoreFailed, "image %s: blob %s is corrupt: its %d bytes (want %d) have digest %s", image, d.Digest, n, d.Size, got)}, nil
	}
	return nil, nil
}

// RepairImage is VerifyImage that also deletes each corrupt blob, when s is
// a BlobRemover, so that the image becomes incomplete: the next pull (under
// any policy) fetches those blobs again. Missing blobs are reported as
// they are.
func RepairImage(ctx context.Context, s Store, img Image) ([]Damage, error) {
	dmg, err := VerifyImage(ctx, s, img)
	if err != nil {
		return dmg, err
	}
	r, ok := s.(BlobRemover)
	if !ok {
		return dmg, fmt.Errorf("image %s: this store cannot remove damaged blobs", img.Name)
	}
	for i := range dmg {
		if dmg[i].Missing {
			continue
		}
		removed, err := r.RemoveDamagedBlob(ctx, dmg[i].Digest)
		if err != nil {
			return dmg, err
		}
		dmg[i].Removed = removed
	}
	return dmg, nil
}

// ctxReader stops a long read when ctx ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

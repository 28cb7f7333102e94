package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/pullwarden/pullwarden/cause"
)

// Children returns the descriptors a manifest or index blob refers to
// (config and layers, or manifests). Other media types have none.
// Blobs larger than maxManifest are rejected as invalid.
func Children(ctx context.Context, s Store, desc v1.Descriptor) ([]v1.Descriptor, error) {
	switch desc.MediaType {
	case types.OCIManifestSchema1, types.DockerManifestSchema2,
		types.OCIImageIndex, types.DockerManifestList:
	default:
		return nil, nil
	}
	b, err := ReadAll(ctx, s, desc.Digest, MaxManifestSize)
	if err != nil {
		return nil, err
	}
	return ParseChildren(desc.MediaType, b)
}

// MaxManifestSize bounds manifests and indexes read into memory (4 MiB, as
// containerd and distribution do).
const MaxManifestSize = 4 << 20

// ParseChildren returns the descriptors referenced by a manifest or index.
func ParseChildren(mt types.MediaType, b []byte) ([]v1.Descriptor, error) {
	if mt.IsIndex() {
		idx, err := v1.ParseIndexManifest(bytes.NewReader(b))
		if err != nil {
			return nil, cause.Wrap(cause.ManifestInvalid, err, "invalid image index: %v", err)
		}
		return idx.Manifests, nil
	}
	m, err := v1.ParseManifest(bytes.NewReader(b))
	if err != nil {
		return nil, cause.Wrap(cause.ManifestInvalid, err, "invalid image manifest: %v", err)
	}
	return append([]v1.Descriptor{m.Config}, m.Layers...), nil
}

// ReadAll reads a whole committed blob of at most limit bytes.
func ReadAll(ctx context.Context, s Store, dgst v1.Hash, limit int64) ([]byte, error) {
	rc, err := s.Open(ctx, dgst)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("blob %s is larger than %d bytes", dgst, limit)
	}
	return b, nil
}

// Has reports whether a blob is committed.
func Has(ctx context.Context, s Store, dgst v1.Hash) (bool, error) {
	_, err := s.Info(ctx, dgst)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// Complete reports whether img's target and every blob it refers to are
// committed: an image whose layers went missing is not present.
func Complete(ctx context.Context, s Store, img Image) (bool, error) {
	if ok, err := Has(ctx, s, img.Target.Digest); !ok || err != nil {
		return false, err
	}
	kids, err := Children(ctx, s, img.Target)
	if err != nil {
		return false, err
	}
	for _, d := range kids {
		if ok, err := Has(ctx, s, d.Digest); !ok || err != nil {
			return false, err
		}
	}
	return true, nil
}

// Size is an image's size: the manifest plus the blobs it refers to, as the
// kubelet reports it ("Image size: N bytes").
func Size(ctx context.Context, s Store, target v1.Descriptor) (int64, error) {
	kids, err := Children(ctx, s, target)
	if err != nil {
		return 0, err
	}
	n := target.Size
	for _, d := range kids {
		n += d.Size
	}
	return n, nil
}

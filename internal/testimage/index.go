package testimage

import (
	"fmt"
	"maps"
	"slices"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// NewIndex builds an image index over images, keyed by platform string
// "os/arch[/variant]" (v1.ParsePlatform; v1.Platform itself holds slices and
// cannot be a map key), one entry per platform in a stable order (sorted by
// key). An image whose config does not
// carry its key's os/architecture/variant gets a rewritten config (and so a
// new digest), so the index and the configs agree as containerd expects.
// The index is OCI unless WithDockerMediaTypes is given.
func NewIndex(images map[string]v1.Image, opts ...Option) (v1.ImageIndex, error) {
	o := newOptions(opts)
	mt := types.OCIImageIndex
	if o.docker {
		mt = types.DockerManifestList
	}
	keys := slices.Sorted(maps.Keys(images))
	adds := make([]mutate.IndexAddendum, 0, len(keys))
	for _, k := range keys {
		p, err := v1.ParsePlatform(k)
		if err != nil {
			return nil, fmt.Errorf("testimage: index platform %q: %w", k, err)
		}
		img, err := withPlatform(images[k], *p)
		if err != nil {
			return nil, err
		}
		adds = append(adds, mutate.IndexAddendum{
			Add:        img,
			Descriptor: v1.Descriptor{Platform: p},
		})
	}
	idx := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, mt), adds...)
	if _, err := idx.Digest(); err != nil {
		return nil, err
	}
	return idx, nil
}

// withPlatform rewrites img's config os/architecture/variant to p if needed.
func withPlatform(img v1.Image, p v1.Platform) (v1.Image, error) {
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	if cf.OS == p.OS && cf.Architecture == p.Architecture && cf.Variant == p.Variant {
		return img, nil
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
	return mutate.ConfigFile(img, cf)
}

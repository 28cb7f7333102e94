package archive

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/pullwarden/pullwarden/reference"
	"github.com/pullwarden/pullwarden/store"
)

// Load writes img into s under the name ref (normalised as the kubelet
// does: "app:1" is docker.io/library/app:1) and returns the record. The
// blobs are written under a store lease, the manifest last, so that a
// store's garbage collection never sees half an image.
func Load(ctx context.Context, s store.Store, ref string, img v1.Image) (store.Image, error) {
	r, err := reference.Parse(ref)
	if err != nil {
		return store.Image{}, err
	}
	release, err := s.Lease(ctx)
	if err != nil {
		return store.Image{}, err
	}
	defer release()
	layers, err := img.Layers()
	if err != nil {
		return store.Image{}, err
	}
	for _, l := range layers {
		desc, err := layerDescriptor(l)
		if err != nil {
			return store.Image{}, err
		}
		if err := WriteBlob(ctx, s, desc, l.Compressed); err != nil {
			return store.Image{}, fmt.Errorf("layer %s: %w", desc.Digest, err)
		}
	}
	cfg, err := img.RawConfigFile()
	if err != nil {
		return store.Image{}, err
	}
	cfgName, err := img.ConfigName()
	if err != nil {
		return store.Image{}, err
	}
	if err := writeBytes(ctx, s, cfgName, cfg); err != nil {
		return store.Image{}, fmt.Errorf("config %s: %w", cfgName, err)
	}
	raw, err := img.RawManifest()
	if err != nil {
		return store.Image{}, err
	}
	mt, err := img.MediaType()
	if err != nil {
		return store.Image{}, err
	}
	dgst, err := img.Digest()
	if err != nil {
		return store.Image{}, err
	}
	if err := writeBytes(ctx, s, dgst, raw); err != nil {
		return store.Image{}, fmt.Errorf("manifest %s: %w", dgst, err)
	}
	rec := store.Image{
		Name:       r.String(),
		Target:     v1.Descriptor{MediaType: mt, Digest: dgst, Size: int64(len(raw))},
		RepoDigest: dgst,
		Created:    time.Now(),
	}
	if err := s.PutImage(ctx, rec); err != nil {
		return store.Image{}, err
	}
	return rec, nil
}

func layerDescriptor(l v1.Layer) (v1.Descriptor, error) {
	d, err := l.Digest()
	if err != nil {
		return v1.Descriptor{}, err
	}
	size, err := l.Size()
	if err != nil {
		return v1.Descriptor{}, err
	}
	mt, err := l.MediaType()
	if err != nil {
		return v1.Descriptor{}, err
	}
	return v1.Descriptor{MediaType: mt, Digest: d, Size: size}, nil
}

func writeBytes(ctx context.Context, s store.Store, d v1.Hash, b []byte) error {
	return WriteBlob(ctx, s, v1.Descriptor{Digest: d, Size: int64(len(b))}, func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	})
}

// WriteBlob writes one blob unless the store has it, starting over any
// partial write; the store verifies size and digest at Commit.
func WriteBlob(ctx context.Context, s store.Store, desc v1.Descriptor, open func() (io.ReadCloser, error)) error {
	w, err := s.Writer(ctx, desc)
	if errors.Is(err, store.ErrAlreadyExists) {
		return nil
	}
	if err != nil {
		return err
	}
	defer w.Close()
	if w.Offset() > 0 {
		if err := w.Truncate(0); err != nil {
			return err
		}
	}
	rc, err := open()
	if err != nil {
		return err
	}
	defer rc.Close()
	if _, err := io.Copy(w, rc); err != nil {
		return err
	}
	return w.Commit(ctx)
}

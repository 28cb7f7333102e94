package testcontainerd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/pullwarden/pullwarden/store"
)

// WriteImage writes img's config, layers (compressed, as a registry serves
// them) and manifest into s, then records it as name with PutImage, all
// under one Lease. It returns the record written.
func WriteImage(ctx context.Context, s store.Store, name string, img v1.Image) (store.Image, error) {
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
		d, err := l.Digest()
		if err != nil {
			return store.Image{}, err
		}
		size, err := l.Size()
		if err != nil {
			return store.Image{}, err
		}
		mt, err := l.MediaType()
		if err != nil {
			return store.Image{}, err
		}
		rc, err := l.Compressed()
		if err != nil {
			return store.Image{}, err
		}
		err = writeBlob(ctx, s, v1.Descriptor{MediaType: mt, Digest: d, Size: size}, rc)
		rc.Close()
		if err != nil {
			return store.Image{}, err
		}
	}
	cfgName, err := img.ConfigName()
	if err != nil {
		return store.Image{}, err
	}
	cfg, err := img.RawConfigFile()
	if err != nil {
		return store.Image{}, err
	}
	if err := WriteBytes(ctx, s, v1.Descriptor{Digest: cfgName, Size: int64(len(cfg))}, cfg); err != nil {
		return store.Image{}, err
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
	target := v1.Descriptor{MediaType: mt, Digest: dgst, Size: int64(len(raw))}
	if err := WriteBytes(ctx, s, target, raw); err != nil {
		return store.Image{}, err
	}
	rec := store.Image{Name: name, Target: target, RepoDigest: dgst}
	if err := s.PutImage(ctx, rec); err != nil {
		return store.Image{}, err
	}
	return rec, release()
}

// WriteBytes writes and commits one blob held in memory; a committed blob
// is left as it is.
func WriteBytes(ctx context.Context, s store.Store, desc v1.Descriptor, data []byte) error {
	return writeBlob(ctx, s, desc, bytes.NewReader(data))
}

func writeBlob(ctx context.Context, s store.Store, desc v1.Descriptor, r io.Reader) error {
	w, err := s.Writer(ctx, desc)
	if errors.Is(err, store.ErrAlreadyExists) {
		return nil
	}
	if err != nil {
		return err
	}
	defer w.Close()
	if w.Offset() != 0 {
		if err := w.Truncate(0); err != nil {
			return err
		}
	}
	if _, err := io.Copy(w, r); err != nil {
		return fmt.Errorf("write blob %s: %w", desc.Digest, err)
	}
	return w.Commit(ctx)
}

// MustWriteImage is WriteImage that fails the test.
func MustWriteImage(t testing.TB, s store.Store, name string, img v1.Image) store.Image {
	t.Helper()
	rec, err := WriteImage(t.Context(), s, name, img)
	if err != nil {
		t.Fatalf("write image %s: %v", name, err)
	}
	return rec
}

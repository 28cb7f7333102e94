package testcontainerd

import (
	"bytes"
	"context"
	"io"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/pullwarden/pullwarden/archive"
	"github.com/pullwarden/pullwarden/store"
)

// WriteImage writes img's config, layers (compressed, as a registry serves
// them) and manifest into s and records it as name, under one Lease: what
// `pullwarden load` does (archive.Load). It returns the record written.
func WriteImage(ctx context.Context, s store.Store, name string, img v1.Image) (store.Image, error) {
	return archive.Load(ctx, s, name, img)
}

// WriteBytes writes and commits one blob held in memory; a committed blob
// is left as it is.
func WriteBytes(ctx context.Context, s store.Store, desc v1.Descriptor, data []byte) error {
	return archive.WriteBlob(ctx, s, desc, func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	})
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

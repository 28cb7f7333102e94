package storetest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/pullwarden/pullwarden/store"
)

// Factory makes the stores a conformance run uses.
type Factory struct {
	// New returns a fresh, empty store; it registers its own cleanup.
	New func(t *testing.T) store.Store
	// Reopen returns a second, independent handle on the same store as s,
	// as another process would open it. Optional.
	Reopen func(t *testing.T, s store.Store) store.Store
}

// Run runs the whole conformance suite against the factory's stores.
func Run(t *testing.T, f Factory) {
	if f.New == nil {
		t.Fatal("storetest: Factory.New is nil")
	}
	cases := []struct {
		name string
		fn   func(*testing.T, Factory)
	}{
		{"WriteCommitRead", testWriteCommitRead},
		{"EmptyBlob", testEmptyBlob},
		{"UnknownBlob", testUnknownBlob},
		{"ResumeAfterClose", testResumeAfterClose},
		{"ResumeThroughReopen", testResumeThroughReopen},
		{"Truncate", testTruncate},
		{"DigestMismatch", testDigestMismatch},
		{"SizeTooSmall", testSizeTooSmall},
		{"SizeTooLarge", testSizeTooLarge},
		{"AlreadyExists", testAlreadyExists},
		{"WriterWaitsForHolder", testWriterWaits},
		{"WriterRace", testWriterRace},
		{"Images", testImages},
		{"PutImageReplaces", testPutImageReplaces},
		{"PutImageTargetMissing", testPutImageTargetMissing},
		{"ConcurrentPutImage", testConcurrentPutImage},
		{"GCReachability", testGCReachability},
		{"GCLease", testGCLease},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.fn(t, f)
		})
	}
}

// RandomBytes returns n random bytes.
func RandomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// Descriptor describes data with the given media type.
func Descriptor(mt types.MediaType, data []byte) v1.Descriptor {
	sum := sha256.Sum256(data)
	return v1.Descriptor{
		MediaType: mt,
		Size:      int64(len(data)),
		Digest:    v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])},
	}
}

// WriteBlob writes and commits data; a blob that exists already is fine.
func WriteBlob(ctx context.Context, s store.Store, mt types.MediaType, data []byte) (v1.Descriptor, error) {
	d := Descriptor(mt, data)
	w, err := s.Writer(ctx, d)
	if errors.Is(err, store.ErrAlreadyExists) {
		return d, nil
	}
	if err != nil {
		return d, err
	}
	defer w.Close()
	if w.Offset() != 0 {
		if err := w.Truncate(0); err != nil {
			return d, err
		}
	}
	if _, err := w.Write(data); err != nil {
		return d, err
	}
	return d, w.Commit(ctx)
}

// Blobs is what WriteImage wrote.
type Blobs struct {
	Manifest v1.Descriptor
	Config   v1.Descriptor
	Layers   []v1.Descriptor
}

// WriteImage writes a random OCI image of nLayers layers (config and
// layers first, the manifest last) and returns its descriptors.
func WriteImage(ctx context.Context, s store.Store, nLayers int) (Blobs, error) {
	var b Blobs
	cfg, _ := json.Marshal(map[string]any{
		"architecture": "amd64", "os": "linux",
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{}},
		"config": map[string]any{"Labels": map[string]string{"nonce": hex.EncodeToString(RandomBytes(8))}},
	})
	var err error
	if b.Config, err = WriteBlob(ctx, s, types.OCIConfigJSON, cfg); err != nil {
		return b, err
	}
	for i := 0; i < nLayers; i++ {
		l, err := WriteBlob(ctx, s, types.OCILayer, RandomBytes(1000+i))
		if err != nil {
			return b, err
		}
		b.Layers = append(b.Layers, l)
	}
	m := v1.Manifest{SchemaVersion: 2, MediaType: types.OCIManifestSchema1, Config: b.Config, Layers: b.Layers}
	if m.Layers == nil {
		m.Layers = []v1.Descriptor{}
	}
	raw, _ := json.Marshal(m)
	b.Manifest, err = WriteBlob(ctx, s, types.OCIManifestSchema1, raw)
	return b, err
}

// WriteIndex writes an OCI index listing the given manifests.
func WriteIndex(ctx context.Context, s store.Store, manifests ...v1.Descriptor) (v1.Descriptor, error) {
	idx := v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex, Manifests: manifests}
	raw, _ := json.Marshal(idx)
	return WriteBlob(ctx, s, types.OCIImageIndex, raw)
}

func mustImage(t *testing.T, s store.Store, nLayers int) Blobs {
	t.Helper()
	b, err := WriteImage(t.Context(), s, nLayers)
	if err != nil {
		t.Fatalf("write image: %v", err)
	}
	return b
}

func mustBlob(t *testing.T, s store.Store, data []byte) v1.Descriptor {
	t.Helper()
	d, err := WriteBlob(t.Context(), s, types.OCILayer, data)
	if err != nil {
		t.Fatalf("write blob: %v", err)
	}
	return d
}

func mustWriter(t *testing.T, s store.Store, d v1.Descriptor) store.Writer {
	t.Helper()
	w, err := s.Writer(t.Context(), d)
	if err != nil {
		t.Fatalf("Writer(%s): %v", d.Digest, err)
	}
	return w
}

func mustWrite(t *testing.T, w store.Writer, p []byte) {
	t.Helper()
	if n, err := w.Write(p); err != nil || n != len(p) {
		t.Fatalf("Write: n=%d err=%v", n, err)
	}
}

func assertAbsent(t *testing.T, s store.Store, d v1.Hash) {
	t.Helper()
	if _, err := s.Info(t.Context(), d); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Info(%s) = %v, want ErrNotFound", d, err)
	}
	if rc, err := s.Open(t.Context(), d); !errors.Is(err, store.ErrNotFound) {
		if err == nil {
			rc.Close()
		}
		t.Errorf("Open(%s) = %v, want ErrNotFound", d, err)
	}
}

func assertContent(t *testing.T, s store.Store, d v1.Hash, want []byte) {
	t.Helper()
	info, err := s.Info(t.Context(), d)
	if err != nil {
		t.Fatalf("Info(%s): %v", d, err)
	}
	if info.Size != int64(len(want)) || info.Digest != d {
		t.Errorf("Info(%s) = %+v, want size %d", d, info, len(want))
	}
	got, err := store.ReadAll(t.Context(), s, d, int64(len(want))+1)
	if err != nil {
		t.Fatalf("read %s: %v", d, err)
	}
	if string(got) != string(want) {
		t.Errorf("content of %s differs: %d bytes, want %d", d, len(got), len(want))
	}
}

package storetest

import (
	"errors"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/pullwarden/pullwarden/store"
)

func allOf(b Blobs) []v1.Hash {
	hs := []v1.Hash{b.Manifest.Digest, b.Config.Digest}
	for _, l := range b.Layers {
		hs = append(hs, l.Digest)
	}
	return hs
}

func present(t *testing.T, s store.Store, h v1.Hash) bool {
	t.Helper()
	ok, err := store.Has(t.Context(), s, h)
	if err != nil {
		t.Fatalf("Has(%s): %v", h, err)
	}
	return ok
}

func runGC(t *testing.T, s store.Store) store.GCResult {
	t.Helper()
	res, err := s.GC(t.Context())
	if err != nil {
		t.Fatalf("GC: %v", err)
	}
	return res
}

// testGCReachability: GC keeps what images reach through index -> manifest
// -> config and layers, and an image's RepoDigest blob; it deletes the rest.
func testGCReachability(t *testing.T, f Factory) {
	s := f.New(t)
	ctx := t.Context()
	kept := mustImage(t, s, 2)    // target of image "a"
	sibling := mustImage(t, s, 1) // other platform, listed in a's index
	idx, err := WriteIndex(ctx, s, kept.Manifest, sibling.Manifest)
	if err != nil {
		t.Fatal(err)
	}
	viaIndex := mustImage(t, s, 1) // reached through an index target
	idx2, err := WriteIndex(ctx, s, viaIndex.Manifest)
	if err != nil {
		t.Fatal(err)
	}
	orphan := mustImage(t, s, 2)
	junk := mustBlob(t, s, RandomBytes(3000))
	if err := s.PutImage(ctx, store.Image{Name: "docker.io/library/a:1", Target: kept.Manifest, RepoDigest: idx.Digest}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutImage(ctx, store.Image{Name: "docker.io/library/b:1", Target: idx2, RepoDigest: idx2.Digest}); err != nil {
		t.Fatal(err)
	}
	res := runGC(t, s)
	for _, h := range append(append(allOf(kept), idx.Digest, idx2.Digest), allOf(viaIndex)...) {
		if !present(t, s, h) {
			t.Errorf("GC deleted referenced blob %s", h)
		}
	}
	gone := append(allOf(orphan), junk.Digest)
	for _, h := range gone {
		if present(t, s, h) {
			t.Errorf("GC kept unreferenced blob %s", h)
		}
	}
	if res.Blobs < len(gone) || res.Bytes <= 0 {
		t.Errorf("GC result %+v, want at least %d blobs", res, len(gone))
	}
	// Once the names are gone, so is their content.
	for _, n := range []string{"docker.io/library/a:1", "docker.io/library/b:1"} {
		if err := s.DeleteImage(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	runGC(t, s)
	for _, h := range append(allOf(kept), idx.Digest, idx2.Digest) {
		if present(t, s, h) {
			t.Errorf("GC kept %s after its image was deleted", h)
		}
	}
}

// testGCLease: blobs written under a live lease survive GC; after release
// they go.
func testGCLease(t *testing.T, f Factory) {
	s := f.New(t)
	release, err := s.Lease(t.Context())
	if err != nil {
		t.Fatalf("Lease: %v", err)
	}
	b := mustImage(t, s, 2)
	runGC(t, s)
	for _, h := range allOf(b) {
		if !present(t, s, h) {
			t.Errorf("GC deleted %s, written under a live lease", h)
		}
	}
	if err := release(); err != nil {
		t.Fatalf("release: %v", err)
	}
	if err := release(); err != nil && !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second release: %v", err)
	}
	runGC(t, s)
	for _, h := range allOf(b) {
		if present(t, s, h) {
			t.Errorf("GC kept %s after its lease was released", h)
		}
	}
}

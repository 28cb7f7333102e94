package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/pullwarden/pullwarden/store"
)

func testImages(t *testing.T, f Factory) {
	s := f.New(t)
	ctx := t.Context()
	if imgs, err := s.Images(ctx); err != nil || len(imgs) != 0 {
		t.Fatalf("Images of an empty store = %v, %v", imgs, err)
	}
	if _, err := s.Image(ctx, "docker.io/library/none:1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Image(unknown) = %v, want ErrNotFound", err)
	}
	if err := s.DeleteImage(ctx, "docker.io/library/none:1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("DeleteImage(unknown) = %v, want ErrNotFound", err)
	}
	b := mustImage(t, s, 2)
	names := []string{"quay.io/b/c:2", "docker.io/library/nginx:latest", "localhost:5000/a@sha256:" + b.Manifest.Digest.Hex}
	for _, n := range names {
		if err := s.PutImage(ctx, store.Image{Name: n, Target: b.Manifest, RepoDigest: b.Manifest.Digest}); err != nil {
			t.Fatalf("PutImage(%s): %v", n, err)
		}
	}
	imgs, err := s.Images(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"docker.io/library/nginx:latest", "localhost:5000/a@sha256:" + b.Manifest.Digest.Hex, "quay.io/b/c:2"}
	if len(imgs) != len(want) {
		t.Fatalf("Images = %d records, want %d", len(imgs), len(want))
	}
	for i, img := range imgs {
		if img.Name != want[i] {
			t.Errorf("Images[%d] = %s, want %s (sorted by name)", i, img.Name, want[i])
		}
		if img.Target.Digest != b.Manifest.Digest || img.Target.MediaType != b.Manifest.MediaType || img.Target.Size != b.Manifest.Size {
			t.Errorf("Images[%d].Target = %+v, want %+v", i, img.Target, b.Manifest)
		}
		if img.RepoDigest != b.Manifest.Digest {
			t.Errorf("Images[%d].RepoDigest = %s", i, img.RepoDigest)
		}
		if img.Created.IsZero() {
			t.Errorf("Images[%d].Created is zero", i)
		}
	}
	img, err := s.Image(ctx, "quay.io/b/c:2")
	if err != nil || img.Target.Digest != b.Manifest.Digest {
		t.Fatalf("Image = %+v, %v", img, err)
	}
	if ok, err := store.Complete(ctx, s, img); !ok || err != nil {
		t.Fatalf("Complete = %v, %v", ok, err)
	}
	if err := s.DeleteImage(ctx, "quay.io/b/c:2"); err != nil {
		t.Fatalf("DeleteImage: %v", err)
	}
	if _, err := s.Image(ctx, "quay.io/b/c:2"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Image after delete = %v, want ErrNotFound", err)
	}
	if imgs, _ := s.Images(ctx); len(imgs) != 2 {
		t.Fatalf("Images after delete = %d records, want 2", len(imgs))
	}
	// Deleting a name leaves the blobs until GC.
	assertContentExists(t, s, b)
}

func assertContentExists(t *testing.T, s store.Store, b Blobs) {
	t.Helper()
	for _, d := range allOf(b) {
		if _, err := s.Info(t.Context(), d); err != nil {
			t.Errorf("blob %s: %v", d, err)
		}
	}
}

func testPutImageReplaces(t *testing.T, f Factory) {
	s := f.New(t)
	ctx := t.Context()
	a, b := mustImage(t, s, 1), mustImage(t, s, 1)
	const name = "docker.io/library/app:1"
	if err := s.PutImage(ctx, store.Image{Name: name, Target: a.Manifest, RepoDigest: a.Manifest.Digest}); err != nil {
		t.Fatal(err)
	}
	idx, err := WriteIndex(ctx, s, b.Manifest)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutImage(ctx, store.Image{Name: name, Target: b.Manifest, RepoDigest: idx.Digest}); err != nil {
		t.Fatal(err)
	}
	imgs, err := s.Images(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(imgs) != 1 {
		t.Fatalf("Images after replacing a name = %d records, want 1", len(imgs))
	}
	if imgs[0].Target.Digest != b.Manifest.Digest || imgs[0].RepoDigest != idx.Digest {
		t.Fatalf("record = target %s repo %s, want %s %s", imgs[0].Target.Digest, imgs[0].RepoDigest, b.Manifest.Digest, idx.Digest)
	}
}

func testPutImageTargetMissing(t *testing.T, f Factory) {
	s := f.New(t)
	d := Descriptor(types.OCIManifestSchema1, []byte(`{"schemaVersion":2}`))
	err := s.PutImage(t.Context(), store.Image{Name: "docker.io/library/ghost:1", Target: d, RepoDigest: d.Digest})
	if err == nil {
		t.Fatal("PutImage of an uncommitted target succeeded")
	}
	if _, err := s.Image(t.Context(), "docker.io/library/ghost:1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Image after a failed PutImage = %v, want ErrNotFound", err)
	}
}

func testConcurrentPutImage(t *testing.T, f Factory) {
	s := f.New(t)
	b := mustImage(t, s, 1)
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("docker.io/library/img%02d:latest", i)
			errs <- s.PutImage(t.Context(), store.Image{Name: name, Target: b.Manifest, RepoDigest: b.Manifest.Digest})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("PutImage: %v", err)
		}
	}
	imgs, err := s.Images(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(imgs) != n {
		t.Fatalf("Images after %d concurrent PutImage = %d records", n, len(imgs))
	}
	for i, img := range imgs {
		if want := fmt.Sprintf("docker.io/library/img%02d:latest", i); img.Name != want {
			t.Errorf("Images[%d] = %s, want %s", i, img.Name, want)
		}
	}
}

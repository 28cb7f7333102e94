package ocilayout

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/pullwarden/pullwarden/cause"
	"github.com/pullwarden/pullwarden/internal/testmount"
	"github.com/pullwarden/pullwarden/store"
	"github.com/pullwarden/pullwarden/store/storetest"
)

// readOnlyStore fills a store with one image and returns its directory.
func readOnlyStore(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	s := openTest(t, dir)
	b, err := storetest.WriteImage(t.Context(), s, 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutImage(t.Context(), store.Image{Name: "example.com/ro/app:1", Target: b.Manifest}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestReadOnlyOption: a store opened WithReadOnly writes nothing, lists and
// verifies, and refuses every write with StoreFailed naming its directory.
func TestReadOnlyOption(t *testing.T) {
	t.Parallel()
	dir := readOnlyStore(t)
	if err := os.Remove(filepath.Join(dir, indexFile)); err != nil {
		t.Fatal(err)
	}
	s, err := Open(dir, WithReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, indexFile)); !os.IsNotExist(err) {
		t.Fatalf("Open of a read-only store created index.json (%v)", err)
	}
	if err := checkReadOnlyStore(t.Context(), s, 0); err != nil {
		t.Fatal(err)
	}
}

// TestReadOnlyFileSystem: a store on a read-only bind mount (in a mount
// namespace of its own; root ignores file modes, not a read-only mount) is
// opened without options, listed and verified, and refuses writes.
func TestReadOnlyFileSystem(t *testing.T) {
	t.Parallel()
	dir := readOnlyStore(t)
	cmd := testmount.ReadOnly(t, dir, os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"=read-only", helperDirEnv+"="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("checks on the read-only mount: %v\n%s", err, out)
	}
}

// checkReadOnlyStore checks what a read-only store must do: reads work,
// writes fail with StoreFailed naming the store directory. wantImages is
// the number of images listed (0 or 1).
func checkReadOnlyStore(ctx context.Context, s *Store, wantImages int) error {
	if !s.ReadOnly() {
		return errors.New("ReadOnly() = false")
	}
	imgs, err := s.Images(ctx)
	if err != nil {
		return fmt.Errorf("Images: %w", err)
	}
	if len(imgs) != wantImages {
		return fmt.Errorf("Images: %d, want %d", len(imgs), wantImages)
	}
	if probs, err := s.Verify(ctx); err != nil || len(probs) > 0 {
		return fmt.Errorf("Verify: %v %v", probs, err)
	}
	for _, img := range imgs {
		if ok, err := store.Complete(ctx, s, img); !ok || err != nil {
			return fmt.Errorf("Complete(%s) = %v, %v", img.Name, ok, err)
		}
	}
	d := storetest.Descriptor(types.OCILayer, []byte("new blob"))
	writes := map[string]func() error{
		"Writer": func() error { _, err := s.Writer(ctx, d); return err },
		"PutImage": func() error {
			return s.PutImage(ctx, store.Image{Name: "example.com/x:1", Target: d})
		},
		"DeleteImage": func() error { return s.DeleteImage(ctx, "example.com/ro/app:1") },
		"Lease":       func() error { _, err := s.Lease(ctx); return err },
		"GC":          func() error { _, err := s.GC(ctx); return err },
	}
	for name, f := range writes {
		err := f()
		if !errors.Is(err, cause.StoreFailed) || !strings.Contains(err.Error(), s.Dir()) {
			return fmt.Errorf("%s on a read-only store: %v, want StoreFailed naming %s", name, err, s.Dir())
		}
	}
	return nil
}

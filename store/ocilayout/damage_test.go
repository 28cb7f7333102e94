package ocilayout

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/pullwarden/pullwarden/cause"
	"github.com/pullwarden/pullwarden/store"
	"github.com/pullwarden/pullwarden/store/storetest"
)

// snapshot maps each regular file of the layout (lock and lease files
// aside) to its content.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() && (rel == locksDir || rel == leasesDir) {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			m[rel] = string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func sameSnapshot(t *testing.T, before, after map[string]string) {
	t.Helper()
	for k, v := range before {
		if w, ok := after[k]; !ok {
			t.Errorf("%s was removed", k)
		} else if w != v {
			t.Errorf("%s was changed", k)
		}
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			t.Errorf("%s appeared", k)
		}
	}
}

func wantStoreFailed(t *testing.T, what string, err error, path string) {
	t.Helper()
	var ce *cause.Error
	if !errors.As(err, &ce) || ce.Cause != cause.StoreFailed {
		t.Fatalf("%s: error %v, want a *cause.Error with StoreFailed", what, err)
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("%s: error %q does not name %s", what, err, path)
	}
}

// populated returns a store holding one named image and one loose blob.
func populated(t *testing.T) (*Store, storetest.Blobs) {
	t.Helper()
	s := openTest(t, t.TempDir())
	b, err := storetest.WriteImage(t.Context(), s, 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutImage(t.Context(), store.Image{Name: "docker.io/library/a:1", Target: b.Manifest}); err != nil {
		t.Fatal(err)
	}
	return s, b
}

func TestDamagedIndex(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		damage func(path string) error
		want   string
	}{
		{"garbage", func(p string) error { return os.WriteFile(p, []byte("{not json"), 0o644) }, "corrupt"},
		{"empty", func(p string) error { return os.WriteFile(p, nil, 0o644) }, "empty"},
		{"truncated", func(p string) error {
			b, _ := os.ReadFile(p)
			return os.WriteFile(p, b[:len(b)/2], 0o644)
		}, "corrupt"},
		{"schema-version", func(p string) error {
			return os.WriteFile(p, []byte(`{"schemaVersion":1,"manifests":[]}`), 0o644)
		}, "schemaVersion"},
		{"bad-digest", func(p string) error {
			return os.WriteFile(p, []byte(`{"schemaVersion":2,"manifests":[{"mediaType":"x","size":1,"digest":"sha256:zz"}]}`), 0o644)
		}, "corrupt"},
		{"bad-repo-digest", func(p string) error {
			b, _ := os.ReadFile(p)
			return os.WriteFile(p, []byte(strings.Replace(string(b), `"io.pullwarden.image.repo-digest": "sha256:`, `"io.pullwarden.image.repo-digest": "md5:`, 1)), 0o644)
		}, "repo-digest"},
		{"unreadable", func(p string) error {
			if err := os.Remove(p); err != nil {
				return err
			}
			return os.Mkdir(p, 0o755) // reading a directory fails, also for root
		}, "cannot read"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s, b := populated(t)
			ctx := t.Context()
			p := filepath.Join(s.Dir(), indexFile)
			if err := c.damage(p); err != nil {
				t.Fatal(err)
			}
			before := snapshot(t, s.Dir())

			_, err := s.Images(ctx)
			wantStoreFailed(t, "Images", err, p)
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("Images error %q does not say %q", err, c.want)
			}
			_, err = s.Image(ctx, "docker.io/library/a:1")
			wantStoreFailed(t, "Image", err, p)
			err = s.PutImage(ctx, store.Image{Name: "docker.io/library/b:1", Target: b.Manifest})
			wantStoreFailed(t, "PutImage", err, p)
			err = s.DeleteImage(ctx, "docker.io/library/a:1")
			wantStoreFailed(t, "DeleteImage", err, p)
			_, err = s.GC(ctx)
			wantStoreFailed(t, "GC", err, p)
			probs, err := s.Verify(ctx)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if len(probs) != 1 || probs[0].Path != p {
				t.Errorf("Verify problems = %v, want one for %s", probs, p)
			}
			// Blobs stay readable and nothing was written or deleted.
			if _, err := s.Info(ctx, b.Manifest.Digest); err != nil {
				t.Errorf("Info: %v", err)
			}
			sameSnapshot(t, before, snapshot(t, s.Dir()))
			if _, err := Open(s.Dir()); err != nil {
				t.Errorf("Open of a store with a damaged index.json: %v", err)
			}
		})
	}
}

func TestMalformedLayoutFile(t *testing.T) {
	t.Parallel()
	for _, content := range []string{"", "nonsense", `{}`, `{"imageLayoutVersion":"2.0.0"}`} {
		dir := t.TempDir()
		p := filepath.Join(dir, layoutFile)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Open(dir)
		wantStoreFailed(t, "Open with oci-layout "+content, err, p)
		if b, _ := os.ReadFile(p); string(b) != content {
			t.Errorf("Open rewrote a malformed oci-layout file")
		}
	}
}

func TestVerifyFindsDamagedBlobs(t *testing.T) {
	t.Parallel()
	s, b := populated(t)
	ctx := t.Context()
	if probs, err := s.Verify(ctx); err != nil || len(probs) != 0 {
		t.Fatalf("Verify of a sound store = %v, %v", probs, err)
	}
	blobs := filepath.Join(s.Dir(), blobsDir)
	notDigest := filepath.Join(blobs, "not-a-digest")
	if err := os.WriteFile(notDigest, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	truncated := s.blobPath(b.Layers[0].Digest)
	if err := os.Truncate(truncated, 10); err != nil {
		t.Fatal(err)
	}
	flipped := s.blobPath(b.Config.Digest)
	cfg, _ := os.ReadFile(flipped)
	cfg[0] ^= 0x20
	if err := os.WriteFile(flipped, cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	missing := s.blobPath(b.Layers[1].Digest)
	if err := os.Remove(missing); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, s.Dir())
	probs, err := s.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{notDigest: "not a sha256 digest", truncated: "corrupt", flipped: "corrupt", missing: "missing"}
	if len(probs) != len(want) {
		t.Errorf("Verify found %d problems, want %d: %v", len(probs), len(want), probs)
	}
	for _, p := range probs {
		wantStoreFailed(t, "problem", p.Err, p.Path)
		if w, ok := want[p.Path]; !ok || !strings.Contains(p.Error(), w) {
			t.Errorf("unexpected problem %s: %v", p.Path, p.Err)
		}
	}
	if _, err := s.GC(ctx); err != nil {
		t.Fatalf("GC: %v", err)
	}
	after := snapshot(t, s.Dir())
	if _, ok := after[filepath.Join(blobsDir, "not-a-digest")]; !ok {
		t.Error("GC removed a file that is not a blob")
	}
	sameSnapshot(t, before, after)
}

func TestWriterRejectsOtherAlgorithms(t *testing.T) {
	t.Parallel()
	s := openTest(t, t.TempDir())
	d := storetest.Descriptor(types.OCILayer, []byte("x"))
	d.Digest.Algorithm = "sha512"
	if _, err := s.Writer(t.Context(), d); err == nil {
		t.Fatal("Writer accepted a sha512 digest")
	}
}

package archive_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/pullwarden/pullwarden/archive"
	"github.com/pullwarden/pullwarden/internal/testimage"
	"github.com/pullwarden/pullwarden/store"
	"github.com/pullwarden/pullwarden/store/ocilayout"
)

func TestLoadFromLayoutAndDockerTar(t *testing.T) {
	ctx := t.Context()
	img := testimage.Random(t, 2, 4096)
	dir := t.TempDir()

	lay, err := layout.Write(filepath.Join(dir, "layout"), empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := lay.AppendImage(img, layout.WithAnnotations(map[string]string{
		"org.opencontainers.image.ref.name": "127.0.0.1:5000/app:1"})); err != nil {
		t.Fatal(err)
	}
	tag, _ := name.NewTag("127.0.0.1:5000/app:2")
	tarPath := filepath.Join(dir, "app.tar")
	if err := tarball.WriteToFile(tarPath, tag, img); err != nil {
		t.Fatal(err)
	}
	want, _ := img.Digest()

	s, err := ocilayout.Open(filepath.Join(dir, "store"))
	if err != nil {
		t.Fatal(err)
	}
	for path, ref := range map[string]string{filepath.Join(dir, "layout"): "127.0.0.1:5000/app:1", tarPath: "127.0.0.1:5000/app:2"} {
		a, err := archive.Read(path, nil)
		if err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
		if len(a.Entries) != 1 || a.Entries[0].Name != ref {
			t.Fatalf("%s: entries %+v", path, a.Entries)
		}
		rec, err := archive.Load(ctx, s, a.Entries[0].Name, a.Entries[0].Image)
		a.Close()
		if err != nil {
			t.Fatalf("load %s: %v", path, err)
		}
		got, err := s.Image(ctx, ref)
		if err != nil || got.Target.Digest != rec.Target.Digest {
			t.Fatalf("%s: stored %+v, %v", ref, got, err)
		}
		// The OCI layout keeps the manifest byte for byte.
		if path != tarPath && rec.Target.Digest != want {
			t.Errorf("%s: digest %s, want %s", ref, rec.Target.Digest, want)
		}
		kids, err := store.Children(ctx, s, rec.Target)
		if err != nil || len(kids) != 3 {
			t.Fatalf("%s: children %v, %v", ref, kids, err)
		}
		for _, k := range kids {
			if ok, err := store.Has(ctx, s, k.Digest); !ok || err != nil {
				t.Errorf("%s: blob %s missing", ref, k.Digest)
			}
		}
	}
}

func TestReadRefusesOtherFiles(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.yaml")
	if err := writeFile(p, "kind: Pod\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := archive.Read(p, nil); err == nil {
		t.Fatal("a YAML file was read as an archive")
	}
}

func writeFile(p, s string) error { return os.WriteFile(p, []byte(s), 0o600) }

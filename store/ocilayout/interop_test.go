package ocilayout

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/pullwarden/pullwarden/store"
)

// putGGCRImage writes img into s through the Writer API (config and layers
// first, manifest last) and names it.
func putGGCRImage(t *testing.T, s store.Store, name string, img v1.Image) v1.Descriptor {
	t.Helper()
	ctx := t.Context()
	write := func(d v1.Descriptor, r io.Reader) {
		t.Helper()
		w, err := s.Writer(ctx, d)
		if err != nil {
			t.Fatalf("Writer(%s): %v", d.Digest, err)
		}
		defer w.Close()
		if _, err := io.Copy(w, r); err != nil {
			t.Fatalf("write %s: %v", d.Digest, err)
		}
		if err := w.Commit(ctx); err != nil {
			t.Fatalf("Commit(%s): %v", d.Digest, err)
		}
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range layers {
		d, err := descOfLayer(l)
		if err != nil {
			t.Fatal(err)
		}
		rc, err := l.Compressed()
		if err != nil {
			t.Fatal(err)
		}
		write(d, rc)
		rc.Close()
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.RawConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	write(m.Config, bytes.NewReader(cfg))
	raw, err := img.RawManifest()
	if err != nil {
		t.Fatal(err)
	}
	mt, _ := img.MediaType()
	dg, _ := img.Digest()
	target := v1.Descriptor{MediaType: mt, Size: int64(len(raw)), Digest: dg}
	write(target, bytes.NewReader(raw))
	if err := s.PutImage(ctx, store.Image{Name: name, Target: target, RepoDigest: dg}); err != nil {
		t.Fatalf("PutImage: %v", err)
	}
	return target
}

func descOfLayer(l v1.Layer) (v1.Descriptor, error) {
	d, err := l.Digest()
	if err != nil {
		return v1.Descriptor{}, err
	}
	n, err := l.Size()
	if err != nil {
		return v1.Descriptor{}, err
	}
	mt, err := l.MediaType()
	return v1.Descriptor{MediaType: mt, Size: n, Digest: d}, err
}

// ociImage is a random image with OCI media types throughout: skopeo's oci:
// transport lists only OCI manifests and indexes from index.json.
func ociImage(t *testing.T) v1.Image {
	t.Helper()
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	for i := 0; i < 3; i++ {
		l, err := random.Layer(4096, types.OCILayer)
		if err != nil {
			t.Fatal(err)
		}
		if img, err = mutate.AppendLayers(img, l); err != nil {
			t.Fatal(err)
		}
	}
	return img
}

func TestInteropGGCRAndSkopeo(t *testing.T) {
	t.Parallel()
	dockerImg, err := random.Image(4096, 3) // Docker schema 2 media types
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		img    v1.Image
		skopeo bool
	}{
		{"docker-media-types", dockerImg, false},
		{"oci-media-types", ociImage(t), true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			checkInterop(t, c.img, c.skopeo)
		})
	}
}

func checkInterop(t *testing.T, img v1.Image, withSkopeo bool) {
	dir := t.TempDir()
	s := openTest(t, dir)
	const name = "docker.io/library/x:1"
	target := putGGCRImage(t, s, name, img)

	// ggcr's own layout reader sees a valid image under the name.
	ii, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatalf("layout.ImageIndexFromPath: %v", err)
	}
	im, err := ii.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var found *v1.Descriptor
	for i, d := range im.Manifests {
		if d.Annotations["org.opencontainers.image.ref.name"] == name {
			found = &im.Manifests[i]
		}
	}
	if found == nil || found.Digest != target.Digest {
		t.Fatalf("index.json has no entry %s -> %s: %+v", name, target.Digest, im.Manifests)
	}
	if found.Annotations[AnnotationRepoDigest] != target.Digest.String() || found.Annotations[AnnotationCreated] == "" {
		t.Errorf("entry annotations = %v", found.Annotations)
	}
	back, err := ii.Image(target.Digest)
	if err != nil {
		t.Fatalf("layout Image: %v", err)
	}
	if err := validate.Image(back); err != nil {
		t.Fatalf("ggcr validate.Image of the stored image: %v", err)
	}

	if !withSkopeo {
		return
	}
	skopeo, err := exec.LookPath("skopeo")
	if err != nil {
		t.Skip("skopeo not on PATH; ggcr checks passed")
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	out, err := exec.CommandContext(ctx, skopeo, "inspect", "oci:"+dir+":"+name).CombinedOutput()
	if err != nil {
		t.Fatalf("skopeo inspect: %v\n%s", err, out)
	}
	if !bytes.Contains(out, []byte(target.Digest.String())) {
		t.Errorf("skopeo inspect output lacks %s:\n%s", target.Digest, out)
	}
	dst := filepath.Join(t.TempDir(), "copy")
	out, err = exec.CommandContext(ctx, skopeo, "copy", "oci:"+dir+":"+name, "dir:"+dst).CombinedOutput()
	if err != nil {
		t.Fatalf("skopeo copy: %v\n%s", err, out)
	}
	got, err := os.ReadFile(filepath.Join(dst, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := img.RawManifest()
	if !bytes.Equal(got, raw) {
		t.Errorf("skopeo copied a different manifest")
	}
}

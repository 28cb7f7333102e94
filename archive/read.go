package archive

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Entry is one image of an archive.
type Entry struct {
	// Name is the image's reference as recorded in the archive ("" when
	// it records none).
	Name  string
	Image v1.Image
}

// Archive is an opened archive; Close removes what Read unpacked.
type Archive struct {
	Entries []Entry
	cleanup func()
}

// Close releases the archive.
func (a *Archive) Close() {
	if a.cleanup != nil {
		a.cleanup()
	}
}

// Read opens path: an OCI layout directory, an OCI layout in a tar, or a
// docker save tar. platform selects from image indexes (nil: the host's).
func Read(path string, platform *v1.Platform) (*Archive, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		entries, err := readLayout(path, platform)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return &Archive{Entries: entries}, nil
	}
	if _, err := tarball.LoadManifest(func() (io.ReadCloser, error) { return os.Open(path) }); err == nil {
		entries, err := readDocker(path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return &Archive{Entries: entries}, nil
	}
	dir, err := os.MkdirTemp("", "pullwarden-load-")
	if err != nil {
		return nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	if err := untar(path, dir); err != nil {
		cleanup()
		return nil, fmt.Errorf("%s: not an OCI layout, an OCI archive nor a docker save tar: %w", path, err)
	}
	entries, err := readLayout(dir, platform)
	if err != nil {
		cleanup()
		return nil, fmt.Errorf("%s: not an OCI archive nor a docker save tar: %w", path, err)
	}
	return &Archive{Entries: entries, cleanup: cleanup}, nil
}

func readLayout(dir string, platform *v1.Platform) ([]Entry, error) {
	if _, err := os.Stat(filepath.Join(dir, "oci-layout")); err != nil {
		return nil, errors.New("no oci-layout file: not an OCI image layout")
	}
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, err
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, d := range m.Manifests {
		img, err := imageFor(idx, d, platform)
		if err != nil {
			return nil, fmt.Errorf("image %s: %w", d.Digest, err)
		}
		out = append(out, Entry{Name: d.Annotations["org.opencontainers.image.ref.name"], Image: img})
	}
	if len(out) == 0 {
		return nil, errors.New("the layout holds no image")
	}
	return out, nil
}

// imageFor is the image d stands for, the platform's entry of an index.
func imageFor(idx v1.ImageIndex, d v1.Descriptor, platform *v1.Platform) (v1.Image, error) {
	if !d.MediaType.IsIndex() {
		return idx.Image(d.Digest)
	}
	child, err := idx.ImageIndex(d.Digest)
	if err != nil {
		return nil, err
	}
	want := hostPlatform()
	if platform != nil {
		want = *platform
	}
	cm, err := child.IndexManifest()
	if err != nil {
		return nil, err
	}
	var have []string
	for _, c := range cm.Manifests {
		if c.Platform != nil && c.Platform.Satisfies(want) {
			return child.Image(c.Digest)
		}
		if c.Platform != nil {
			have = append(have, c.Platform.String())
		}
	}
	return nil, fmt.Errorf("no image for %s in the index (it has: %s)", want.String(), strings.Join(have, ", "))
}

func readDocker(path string) ([]Entry, error) {
	opener := func() (io.ReadCloser, error) { return os.Open(path) }
	m, err := tarball.LoadManifest(opener)
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, d := range m {
		tags := d.RepoTags
		if len(tags) == 0 {
			tags = []string{""}
		}
		for _, t := range tags {
			var tag *name.Tag
			if t != "" {
				tg, err := name.NewTag(t)
				if err != nil {
					return nil, fmt.Errorf("tag %q: %w", t, err)
				}
				tag = &tg
			}
			img, err := tarball.Image(opener, tag)
			if err != nil {
				return nil, err
			}
			out = append(out, Entry{Name: t, Image: img})
		}
	}
	if len(out) == 0 {
		return nil, errors.New("the tar holds no image")
	}
	return out, nil
}

func hostPlatform() v1.Platform {
	p := v1.Platform{OS: "linux", Architecture: runtime.GOARCH}
	if runtime.GOARCH == "arm64" {
		p.Variant = "v8"
	}
	return p
}

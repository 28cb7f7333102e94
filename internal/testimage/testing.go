package testimage

import (
	"os"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// EnvRequireReal turns a missing host part into a failure instead of a skip.
const EnvRequireReal = "PULLWARDEN_REQUIRE_REAL"

// Random is NewRandom for tests.
func Random(t testing.TB, layers int, layerSize int64, opts ...Option) v1.Image {
	t.Helper()
	img, err := NewRandom(layers, layerSize, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// Busybox is NewBusybox for tests; it skips when busybox-static is absent
// (fails with PULLWARDEN_REQUIRE_REAL=1).
func Busybox(t testing.TB, opts ...Option) v1.Image {
	t.Helper()
	if _, err := os.Stat(BusyboxPath); err != nil {
		missing(t, "%s not found (apt-get install -y busybox-static)", BusyboxPath)
	}
	img, err := NewBusybox(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// Pause is NewPause for tests; it skips when the go tool is absent (fails
// with PULLWARDEN_REQUIRE_REAL=1).
func Pause(t testing.TB, opts ...Option) v1.Image {
	t.Helper()
	if _, err := GoTool(); err != nil {
		missing(t, "%v", err)
	}
	img, err := NewPause(t.Context(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// Files is NewFiles for tests.
func Files(t testing.TB, files []File, cfg v1.Config, opts ...Option) v1.Image {
	t.Helper()
	img, err := NewFiles(files, cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// Index is NewIndex for tests.
func Index(t testing.TB, images map[string]v1.Image, opts ...Option) v1.ImageIndex {
	t.Helper()
	idx, err := NewIndex(images, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return idx
}

// Push is Write for tests, with t.Context(); it returns the manifest digest.
func Push(t testing.TB, x remote.Taggable, ref string, auth authn.Authenticator) v1.Hash {
	t.Helper()
	d, err := Write(t.Context(), x, ref, auth)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv(EnvRequireReal) == "1" {
		t.Fatalf("testimage: "+format+" (and "+EnvRequireReal+"=1 forbids skipping)", args...)
	}
	t.Skipf("testimage: "+format, args...)
}

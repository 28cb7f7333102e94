package testcontainerd

import (
	"testing"

	"github.com/pullwarden/pullwarden/internal/testimage"
	"github.com/pullwarden/pullwarden/internal/testregistry"
)

// StartCRI starts a daemon ready to run pod sandboxes: it runs Debian's
// docker-registry on loopback, pushes testimage's pause image to it, and
// starts containerd with that pause image as the CRI sandbox image and the
// registry reachable over plain HTTP. The registry is returned for the
// test's own images.
func StartCRI(t testing.TB, opts ...Option) (*Containerd, *testregistry.Registry) {
	t.Helper()
	reg := testregistry.Start(t)
	pause := reg.Ref("pullwarden/pause:1")
	testimage.Push(t, testimage.Pause(t), pause, nil)
	opts = append([]Option{WithSandboxImage(pause), WithHTTPRegistry(reg.Host)}, opts...)
	return Start(t, opts...), reg
}

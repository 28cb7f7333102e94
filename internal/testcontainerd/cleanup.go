package testcontainerd

import (
	"testing"

	"github.com/pullwarden/pullwarden/runtime/cri"
)

// ShimPids are the containerd-shim processes started for the daemon at
// socket (cri.ShimPids).
func ShimPids(socket string) []int { return cri.ShimPids(socket) }

// KillShims kills the shims of the daemon at socket, and their containers
// with them.
func KillShims(t testing.TB, socket string) {
	if n := cri.KillShims(socket); n > 0 {
		t.Logf("testcontainerd: killed %d leftover shim(s)", n)
	}
}

// MountsUnder lists the mount points at or below dir, in mount order
// (cri.MountsUnder).
func MountsUnder(dir string) []string { return cri.MountsUnder(dir) }

// UnmountUnder detaches every mount at or below dir, deepest (latest) first.
func UnmountUnder(t testing.TB, dir string) {
	if n, err := cri.UnmountUnder(dir); err != nil {
		t.Logf("testcontainerd: unmounted %d, then: %v", n, err)
	}
}

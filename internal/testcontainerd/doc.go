// Package testcontainerd runs a private containerd daemon for a test.
//
// Start writes a configuration with runtime/cri.WriteConfig (config
// version 2; CRI with restrict_oom_score_adj, the given pause image,
// registry hosts.toml files for loopback registries, runc with cgroupfs,
// overlayfs, no CNI so only host-network sandboxes run), starts
// /usr/bin/containerd in a short directory under the system temp dir (unix
// socket paths are limited to 108 bytes, t.TempDir is often too long) and
// waits for its socket.
//
// t.Cleanup stops and removes every CRI sandbox (so runc containers and
// their shims exit), stops the daemon (SIGTERM, SIGKILL after 10 seconds),
// kills shims that still serve this daemon's socket, unmounts whatever is
// left mounted under the directory and removes it. On failure the tail of
// the daemon's log is written to the test log.
//
// Requirements: root and /usr/bin/containerd (Debian packages containerd
// and runc). Without them the test is skipped, unless
// PULLWARDEN_REQUIRE_REAL=1, when it fails.
package testcontainerd

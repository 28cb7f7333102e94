// Package testregistry starts real OCI registries for tests.
//
// Two kinds are offered, both listening on loopback only:
//
//   - StartInProcess serves go-containerregistry's registry handler
//     (pkg/registry, blobs and manifests in memory) under an httptest server
//     on 127.0.0.1. It needs no binary, starts instantly, logs nothing, and is
//     the default choice for unit tests. WithMiddleware wraps its handler, the
//     place for fault injection (resets, 401, 429, slow or wrong bodies).
//   - Start runs Debian's docker-registry (distribution 2.8,
//     /usr/bin/docker-registry serve CONFIG) on a free loopback port with its
//     storage under t.TempDir(). It speaks the protocol exactly as a
//     production registry does (Range requests, auth challenges, errors), and
//     supports basic auth (WithHtpasswd), token auth (WithToken), another
//     loopback host (WithAddr) and deletes (WithDeleteEnabled).
//
// Start waits until GET /v2/ answers (any HTTP status: 401 counts, since an
// auth-protected registry answers that) for at most 15 seconds, stops the
// process in t.Cleanup, and writes the registry's log to Registry.LogPath; the
// tail of that log is printed when the test failed.
//
// When the docker-registry binary (or htpasswd for WithHtpasswd) is missing,
// Start calls t.Skip with a message naming the Debian package, unless the
// environment has PULLWARDEN_REQUIRE_REAL=1 (CI sets it), in which case the
// test fails instead: CI must never silently skip the real registry.
//
// Both kinds can be stopped and restarted on the same address and storage
// (Registry.Stop, Registry.Restart), for "the registry went down and came
// back" stories and for resume tests. The in-process registry keeps its
// memory across a restart because the same handler is served again.
package testregistry

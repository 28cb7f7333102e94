// Package testimage builds container images for tests in Go, with
// go-containerregistry and without downloading anything.
//
// Every image has an image config whose os/architecture are the host's
// (runtime.GOOS, runtime.GOARCH) unless WithPlatform says otherwise, since
// containerd selects images by platform. Manifests use OCI media types
// (application/vnd.oci.image.manifest.v1+json, layers
// application/vnd.oci.image.layer.v1.tar+gzip) unless WithDockerMediaTypes is
// given; Uncompressed makes layers plain tar
// (application/vnd.oci.image.layer.v1.tar or the Docker equivalent), so that
// the bytes that travel are exactly the uncompressed size.
//
// Images:
//   - Random: n layers, each a tar holding one file of layerSize bytes of
//     incompressible pseudo-random data (ChaCha8). Layers are generated on
//     demand from a seed, never held in memory, so a 400 MB image costs no
//     memory; WithSeed makes the image (and its digest) reproducible, the
//     default seed is random so two calls give two different images.
//   - Busybox: one layer with /bin/busybox from Debian's busybox-static and
//     symlinks (sh, echo, sleep, nc, cat, ls, true, false, env, wget, ...),
//     Cmd ["sh"]. Needs /bin/busybox (apt-get install -y busybox-static).
//   - Pause: one layer with /pause, a static Go program (./pause, built with
//     CGO_ENABLED=0 by `go build` the first time a process asks) that sleeps
//     until SIGTERM or SIGINT and then exits 0. A real program rather than
//     busybox sleep because PID 1 in a container ignores signals it has no
//     handler for, so `sleep` would only die by SIGKILL.
//   - Files: one layer with the files given.
//   - Index: an OCI image index over images keyed by platform; each image's
//     config is rewritten to carry its key's os/architecture/variant.
//
// Push writes an image or index to a registry with remote.Write or
// remote.WriteIndex over plain HTTP (name.Insecure): meant for loopback test
// registries only.
//
// The New* and Write functions return errors and suit programs (the demo and
// benchmark scripts); the short names take a testing.TB and fail the test.
// Missing host parts (busybox, the go tool) skip the test, or fail it when
// PULLWARDEN_REQUIRE_REAL=1.
package testimage

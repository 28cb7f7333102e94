package testregistry

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
)

// EnvRequireReal names the environment variable that turns a missing real
// part (binary) from a skip into a test failure. CI sets it to "1".
const EnvRequireReal = "PULLWARDEN_REQUIRE_REAL"

// Registry is a running test registry on loopback.
type Registry struct {
	// Host is the registry's host:port, e.g. "127.0.0.1:40123"; use it as the
	// registry part of an image reference.
	Host string
	// URL is the base URL, e.g. "http://127.0.0.1:40123" (no trailing slash).
	URL string
	// Dir is the registry's own directory (config, log, htpasswd, storage) for
	// docker-registry; empty for the in-process registry.
	Dir string
	// StorageDir is docker-registry's storage root (empty in-process).
	StorageDir string
	// LogPath is the file holding docker-registry's log (empty in-process).
	LogPath string
	// Username and Password are set when WithHtpasswd was given.
	Username, Password string

	t       testing.TB
	mu      sync.Mutex
	backend backend
}

// backend is what differs between the in-process and the external registry.
type backend interface {
	start() error
	stop() error
	running() bool
}

// Ref returns an image reference on this registry: Host + "/" + repoAndTag.
func (r *Registry) Ref(repoAndTag string) string {
	return r.Host + "/" + strings.TrimPrefix(repoAndTag, "/")
}

// Authenticator returns the credentials that WithHtpasswd configured, or
// authn.Anonymous.
func (r *Registry) Authenticator() authn.Authenticator {
	if r.Username == "" {
		return authn.Anonymous
	}
	return &authn.Basic{Username: r.Username, Password: r.Password}
}

// Stop stops the registry; its address stays reserved for Restart only in
// the sense that nothing else in the test should take it. Stopping a stopped
// registry is a no-op. Errors fail the test.
func (r *Registry) Stop() {
	r.t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.backend.running() {
		return
	}
	if err := r.backend.stop(); err != nil {
		r.t.Fatalf("testregistry: stop %s: %v", r.Host, err)
	}
}

// Restart starts a stopped registry again on the same address with the same
// storage (a running registry is stopped first). It returns once the
// registry answers again.
func (r *Registry) Restart() {
	r.t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.backend.running() {
		if err := r.backend.stop(); err != nil {
			r.t.Fatalf("testregistry: stop %s: %v", r.Host, err)
		}
	}
	if err := r.backend.start(); err != nil {
		r.t.Fatalf("testregistry: restart %s: %v", r.Host, err)
	}
}

// Running reports whether the registry is serving.
func (r *Registry) Running() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.backend.running()
}

// BlobPath returns the file that holds a blob in docker-registry's storage
// ("sha256:abc..." -> StorageDir/docker/registry/v2/blobs/sha256/ab/abc.../data),
// so a test can corrupt or remove it. It is empty for the in-process registry.
func (r *Registry) BlobPath(digest string) string {
	if r.StorageDir == "" {
		return ""
	}
	algo, hex, ok := strings.Cut(digest, ":")
	if !ok || len(hex) < 2 {
		return ""
	}
	return filepath.Join(r.StorageDir, "docker", "registry", "v2", "blobs", algo, hex[:2], hex, "data")
}

// missing skips the test, or fails it when EnvRequireReal is "1".
func missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv(EnvRequireReal) == "1" {
		t.Fatalf("testregistry: "+format+" (and "+EnvRequireReal+"=1 forbids skipping)", args...)
	}
	t.Skipf("testregistry: "+format, args...)
}

package testregistry

import (
	"io"
	"log"
	"net/http"

	"github.com/google/go-containerregistry/pkg/registry"
)

// Option configures a registry started by Start or StartInProcess. Each
// option says which kind it applies to; the other kind ignores it.
type Option func(*config)

type config struct {
	addr          string // host:port to listen on; port 0 picks a free one
	htUser        string
	htPassword    string
	token         *tokenAuth
	deleteEnabled bool
	middleware    []func(http.Handler) http.Handler
	ggcrOpts      []registry.Option
	extraYAML     []string // top-level config sections (extra.go)
}

type tokenAuth struct {
	realm, service, issuer, rootCertBundle string
}

func newConfig(opts []Option) *config {
	c := &config{addr: "127.0.0.1:0"}
	for _, o := range opts {
		o(c)
	}
	return c
}

// WithHtpasswd protects docker-registry with basic auth for one user
// (bcrypt entry made by `htpasswd -Bbn`, Debian package apache2-utils).
// Anonymous requests then get 401 with `Www-Authenticate: Basic realm=...`.
// Registry.Username, Registry.Password and Registry.Authenticator carry the
// credentials. docker-registry only.
func WithHtpasswd(user, password string) Option {
	return func(c *config) { c.htUser, c.htPassword = user, password }
}

// WithToken configures distribution's bearer token auth: anonymous requests
// get 401 with `Www-Authenticate: Bearer realm=REALM,service=SERVICE,...`,
// and tokens must be JWTs signed by a key whose certificate chain is in the
// PEM file rootCertBundlePath (which must exist when the registry starts).
// The token server itself is the test's business. docker-registry only.
func WithToken(realm, service, issuer, rootCertBundlePath string) Option {
	return func(c *config) {
		c.token = &tokenAuth{realm: realm, service: service, issuer: issuer, rootCertBundle: rootCertBundlePath}
	}
}

// WithAddr chooses the listen address, e.g. "127.0.0.2:0" for a second
// loopback host (port 0 picks a free port). It must be a loopback address.
// Default "127.0.0.1:0". Both kinds.
func WithAddr(hostPort string) Option {
	return func(c *config) { c.addr = hostPort }
}

// WithDeleteEnabled allows DELETE of manifests and blobs
// (storage.delete.enabled). docker-registry only; the in-process registry
// always allows deletes.
func WithDeleteEnabled() Option {
	return func(c *config) { c.deleteEnabled = true }
}

// WithMiddleware wraps the in-process registry's handler, outermost last:
// the place for fault injection. In-process only.
func WithMiddleware(wrap func(http.Handler) http.Handler) Option {
	return func(c *config) { c.middleware = append(c.middleware, wrap) }
}

// WithRegistryOptions passes options to go-containerregistry's registry.New
// (e.g. registry.WithReferrersSupport(true)). Its logger is always silenced
// unless an option here sets another. In-process only.
func WithRegistryOptions(opts ...registry.Option) Option {
	return func(c *config) { c.ggcrOpts = append(c.ggcrOpts, opts...) }
}

// quietLogger discards go-containerregistry's per-request log lines.
func quietLogger() *log.Logger { return log.New(io.Discard, "", 0) }

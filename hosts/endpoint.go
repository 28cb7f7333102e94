package hosts

import (
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Capability is what an endpoint may be used for, as containerd's
// hosts.toml "capabilities" list says.
type Capability uint8

// The capabilities. An endpoint without a capabilities list has them all.
const (
	// Pull: fetch blobs and manifests by digest.
	Pull Capability = 1 << iota
	// Resolve: turn a tag into a digest (manifest by tag).
	Resolve
	// Push: upload.
	Push
	// Referrers: the OCI referrers API (containerd 2.x; 1.6 rejects it).
	Referrers

	// All is the default of an endpoint that lists no capabilities.
	All = Pull | Resolve | Push | Referrers
)

var capNames = []struct {
	c    Capability
	name string
}{{Pull, "pull"}, {Resolve, "resolve"}, {Push, "push"}, {Referrers, "referrers"}}

func (c Capability) String() string {
	var parts []string
	for _, n := range capNames {
		if c&n.c != 0 {
			parts = append(parts, n.name)
		}
	}
	return strings.Join(parts, ",")
}

// Has reports whether c includes every capability of want.
func (c Capability) Has(want Capability) bool { return c&want == want }

// Endpoint is one host to try for a registry, in the order the
// configuration gives.
type Endpoint struct {
	// Scheme ("https" or "http"), Host ("mirror.example:5000") and Path
	// (the API root, "/v2" unless override_path) locate the endpoint.
	Scheme, Host, Path string
	// Capabilities say what the endpoint is used for.
	Capabilities Capability
	// Mirror is false for the registry's own server (the last entry, from
	// "server" or the default) and true for a [host."..."] entry.
	Mirror bool
	// DefaultSkipVerify is set when SkipVerify comes from containerd's
	// default for a loopback registry (no server line), not from a file.
	DefaultSkipVerify bool
	// SkipVerify is the skip_verify setting; nil when not set.
	SkipVerify *bool
	// CA lists CA certificate files (absolute: relative paths in the file
	// are relative to its directory).
	CA []string
	// Client lists client certificate and key files; an empty key means
	// the key is in the certificate file.
	Client [][2]string
	// Header is sent with every request to the endpoint (keys in
	// canonical form; containerd keeps them as written, which HTTP treats
	// alike).
	Header http.Header
	// DialTimeout is dial_timeout; 0 when not set.
	DialTimeout time.Duration
	// HTTPFallback: try https first and fall back to http when the TLS
	// handshake fails (an http endpoint with TLS settings, on a port
	// other than 80, as containerd does).
	HTTPFallback bool
}

// URL is the endpoint's API root, "https://mirror.example:5000/v2".
func (e Endpoint) URL() *url.URL {
	return &url.URL{Scheme: e.Scheme, Host: e.Host, Path: e.Path}
}

// String is the API root URL.
func (e Endpoint) String() string { return e.URL().String() }

// explicitTLS reports whether the entry sets any TLS option.
func (e Endpoint) explicitTLS() bool {
	return e.CA != nil || e.Client != nil || e.SkipVerify != nil
}

package registry

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// Endpoint says how to reach one registry host when a node's
// configuration (a containerd hosts.toml entry) says more than its name:
// its scheme, API root, TLS settings and headers. A call whose context
// carries an Endpoint (WithEndpoint) applies it to every request whose
// URL host is Endpoint.Host, and to no other: not to a token server on
// another host, not to a redirect to another host (blob storage). Fields
// left zero keep the Client's behaviour for that host.
type Endpoint struct {
	// Host is "host[:port]", the host the settings apply to; the
	// reference a call is given names it as its registry.
	Host string
	// Scheme is "https" (default) or "http". An "http" endpoint is
	// reached over plain HTTP even when the host is neither loopback nor
	// listed in Options.Insecure: the configuration asked for it.
	Scheme string
	// HTTPFallback: https is tried first and plain HTTP when the host
	// does not speak TLS (containerd's rule for an http entry with TLS
	// settings).
	HTTPFallback bool
	// Root is the API root path; default "/v2". Requests the client
	// builds for "/v2/<rest>" go to Root + "/<rest>" (the /v2/ ping to
	// Root + "/"). A redirect is followed as the registry sent it.
	Root string
	// TLS replaces the transport's TLS configuration for this host (CA
	// pool, client certificates, InsecureSkipVerify); nil keeps the
	// default (verified against the system pool). It needs the Client's
	// transport to be DefaultTransport (possibly wrapped, as the agent's
	// throttle does); another transport cannot apply it and the request
	// fails with an error saying so.
	TLS *tls.Config
	// DialTimeout bounds the TCP connection to this host; 0: the
	// transport's.
	DialTimeout time.Duration
	// Header is added to every request to this host.
	Header http.Header
	// Namespace, when set, is sent as the "ns" query parameter of the
	// manifest, blob and tag requests to this host, as containerd does
	// when it asks a mirror: the registry the image is named after.
	Namespace string
}

type endpointKey struct{}

// WithEndpoint returns ctx carrying e: the calls of a Client made with
// it reach e.Host as e says.
func WithEndpoint(ctx context.Context, e Endpoint) context.Context {
	return context.WithValue(ctx, endpointKey{}, &e)
}

// endpointFor returns the Endpoint of ctx when it applies to host.
func endpointFor(ctx context.Context, host string) *Endpoint {
	e, _ := ctx.Value(endpointKey{}).(*Endpoint)
	if e == nil || !strings.EqualFold(e.Host, host) {
		return nil
	}
	return e
}

// allowHTTPIn reports whether host may be reached over plain HTTP in
// ctx: when ctx has an Endpoint for host, as it says or when the host is
// listed in Options.Insecure (an https endpoint is https only, loopback
// too); else by the Client's rule (allowHTTP).
func (c *Client) allowHTTPIn(ctx context.Context, host string) bool {
	if e := endpointFor(ctx, host); e != nil {
		return e.Scheme == "http" || e.HTTPFallback || c.listedInsecure(host)
	}
	return c.allowHTTP(host)
}

// endpointLayer applies the Endpoint of a request's context to the
// requests to its host: the API root, the headers, and (through the
// context, for the transport at the bottom) the TLS settings and dial
// timeout. It sits under the ping cache, which sees the /v2/ paths ggcr
// builds.
type endpointLayer struct {
	inner http.RoundTripper
}

// errNotApplied is a request whose Endpoint needs settings (TLS, dial
// timeout, API root) that the Client's transport cannot apply.
var errNotApplied = errors.New("the registry client's transport cannot apply per-host settings (TLS, dial timeout, API root): use registry.DefaultTransport")

func (l *endpointLayer) RoundTrip(req *http.Request) (*http.Response, error) {
	e := endpointFor(req.Context(), req.URL.Host)
	if e == nil {
		return l.inner.RoundTrip(req)
	}
	r := req.Clone(req.Context())
	sel := &hostSelection{tls: e.TLS, dial: e.DialTimeout}
	// Only what the client built is mapped: a redirect goes where it says.
	if p := r.URL.Path; req.Response == nil && (p == "/v2" || strings.HasPrefix(p, "/v2/")) {
		if e.Namespace != "" && len(p) > len("/v2/") {
			q := r.URL.Query()
			q.Set("ns", e.Namespace)
			r.URL.RawQuery = q.Encode()
		}
		if e.Root != "" && e.Root != "/v2" {
			// Mapped at the bottom (hostTransport), so that the layers
			// between, such as the agent's throttle, see the API's paths.
			sel.root = strings.TrimSuffix(e.Root, "/")
		}
	}
	for k, vs := range e.Header {
		for _, v := range vs {
			r.Header.Add(k, v)
		}
	}
	if !sel.needed() {
		return l.inner.RoundTrip(r)
	}
	r = r.WithContext(context.WithValue(r.Context(), selectionKey{}, sel))
	resp, err := l.inner.RoundTrip(r)
	if !sel.applied.Load() && (err == nil || isTLS(err)) {
		if err == nil {
			resp.Body.Close()
		}
		return nil, fmt.Errorf("registry %s: %w", e.Host, errNotApplied)
	}
	return resp, err
}

// hostSelection is what a request asks the bottom transport for: a TLS
// configuration, a dial timeout, an API root replacing /v2 in its path.
// applied is set when the bottom transport saw it.
type hostSelection struct {
	tls     *tls.Config
	dial    time.Duration
	root    string
	applied atomic.Bool
}

func (s *hostSelection) needed() bool { return s.tls != nil || s.dial > 0 || s.root != "" }

type selectionKey struct{}

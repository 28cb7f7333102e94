package registry

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pullwarden/pullwarden/internal/testpki"
	"github.com/pullwarden/pullwarden/reference"
)

// An Endpoint with TLS settings fails clearly on a Client whose transport
// cannot apply them, instead of silently using the default TLS.
func TestEndpointTLSNeedsDefaultTransport(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "https://")
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	ref, _ := reference.Parse(host + "/a/b:1")
	ctx := WithEndpoint(t.Context(), Endpoint{Host: host, Scheme: "https", TLS: &tls.Config{RootCAs: pool}})

	c := New(Options{Transport: &http.Transport{}, Retry: RetryPolicy{Attempts: 1}})
	if _, err := c.Resolve(ctx, ref, nil); !errors.Is(err, errTLSNotApplied) {
		t.Fatalf("custom transport: %v, want %v", err, errTLSNotApplied)
	}
	// The default transport applies them: the registry is reached (and
	// answers 404 to the ping, a protocol failure, not a TLS one).
	_, err := New(Options{Retry: RetryPolicy{Attempts: 1}}).Resolve(ctx, ref, nil)
	if err == nil || isTLS(err) || errors.Is(err, errTLSNotApplied) {
		t.Fatalf("default transport: %v, want the registry's answer", err)
	}
}

// Equal configurations built apart (a hosts.toml read for each pull)
// share one transport, so their connections are reused; a different one
// gets its own.
func TestHostTransportReusesEqualConfigurations(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ca := testpki.NewCA(t, dir, "ca")
	client := ca.Client(t, "c")
	mk := func(skip bool) *tls.Config {
		return &tls.Config{RootCAs: ca.Pool(), Certificates: []tls.Certificate{client.TLS}, InsecureSkipVerify: skip}
	}
	h := DefaultTransport().(*hostTransport)
	a, b, c := h.transportFor(mk(false), 0), h.transportFor(mk(false), 0), h.transportFor(mk(true), 0)
	if a != b || a == c || a == h.base || h.transportFor(nil, 0) == a {
		t.Fatalf("transports: equal configurations shared %v, different ones apart %v", a == b, a != c)
	}
}

package registry

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// errPlainHTTP is returned by the scheme guard for a plain-HTTP request to a
// host that is neither loopback nor listed in Options.Insecure.
type errPlainHTTP struct{ host string }

func (e *errPlainHTTP) Error() string {
	return fmt.Sprintf("plain HTTP to %s refused: only loopback hosts and hosts listed as insecure may use http", e.host)
}

// allowHTTP reports whether hostport ("host[:port]") may be reached over
// plain HTTP: loopback hosts always, others only when listed in Insecure
// (an entry without a port matches every port of that host).
func (c *Client) allowHTTP(hostport string) bool {
	if c.listedInsecure(hostport) {
		return true
	}
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	return isLoopback(host)
}

// listedInsecure reports whether hostport is listed in Options.Insecure
// (an entry without a port matches every port of that host).
func (c *Client) listedInsecure(hostport string) bool {
	if c.insecure[hostport] {
		return true
	}
	h, _, err := net.SplitHostPort(hostport)
	return err == nil && c.insecure[h]
}

func isLoopback(host string) bool {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// registryName builds ggcr's name for host. Hosts allowed over plain HTTP
// are marked insecure so ggcr's ping may fall back to http; for the others
// ggcr may still try http (it does for RFC 1918 addresses), which the
// scheme guard refuses.
func (c *Client) registryName(ctx context.Context, host string) (name.Registry, error) {
	if c.allowHTTPIn(ctx, host) {
		return name.NewRegistry(host, name.Insecure)
	}
	return name.NewRegistry(host)
}

// schemeGuard refuses plain-HTTP requests to hosts not allowed over HTTP. It
// sits below ggcr's auth transports, so it also sees pings, token requests
// and followed redirects.
type schemeGuard struct {
	c     *Client
	inner http.RoundTripper
}

func (g *schemeGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	if !strings.EqualFold(req.URL.Scheme, "https") && !g.c.allowHTTPIn(req.Context(), req.URL.Host) {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, &errPlainHTTP{host: req.URL.Host}
	}
	return g.inner.RoundTrip(req)
}

package registry

import (
	"bytes"
	"crypto/tls"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// hostTransport is the bottom of DefaultTransport: requests go through
// base unless their context selects a TLS configuration or dial timeout
// (an Endpoint's, set by endpointLayer for its host only), which get a
// clone of base with that configuration; an Endpoint's API root replaces
// /v2 in the path here, below any wrapper. Clones are kept per distinct
// configuration, so connections made with one host's settings (a client
// certificate, skip_verify) are never reused for a request without them,
// and a configuration read again from the same files reuses its
// connections.
type hostTransport struct {
	base *http.Transport
	mu   sync.Mutex
	// clones by configuration; few (one per distinct hosts.toml entry).
	clones []clone
}

type clone struct {
	tls  *tls.Config
	dial time.Duration
	tr   *http.Transport
}

func (h *hostTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	sel, _ := req.Context().Value(selectionKey{}).(*hostSelection)
	if sel == nil {
		return h.base.RoundTrip(req)
	}
	sel.applied.Store(true)
	if sel.root != "" {
		r := *req
		u := *req.URL
		u.Path = sel.root + strings.TrimPrefix(u.Path, "/v2")
		u.RawPath = ""
		r.URL = &u
		req = &r
	}
	if sel.tls == nil && sel.dial == 0 {
		return h.base.RoundTrip(req)
	}
	return h.transportFor(sel.tls, sel.dial).RoundTrip(req)
}

func (h *hostTransport) transportFor(cfg *tls.Config, dial time.Duration) *http.Transport {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range h.clones {
		if c.dial == dial && sameTLS(c.tls, cfg) {
			return c.tr
		}
	}
	tr := h.base.Clone()
	if cfg != nil {
		tr.TLSClientConfig = cfg.Clone()
	}
	if dial > 0 {
		tr.DialContext = (&net.Dialer{Timeout: dial, KeepAlive: 30 * time.Second}).DialContext
	}
	h.clones = append(h.clones, clone{tls: cfg, dial: dial, tr: tr})
	return tr
}

// CloseIdleConnections closes the idle connections of every transport.
func (h *hostTransport) CloseIdleConnections() {
	h.base.CloseIdleConnections()
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range h.clones {
		c.tr.CloseIdleConnections()
	}
}

// sameTLS compares what an Endpoint's TLS configuration may set: the
// verification switch, the CA pool, the client certificates and the
// server name.
func sameTLS(a, b *tls.Config) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.InsecureSkipVerify != b.InsecureSkipVerify || a.ServerName != b.ServerName ||
		len(a.Certificates) != len(b.Certificates) {
		return false
	}
	if (a.RootCAs == nil) != (b.RootCAs == nil) || (a.RootCAs != nil && !a.RootCAs.Equal(b.RootCAs)) {
		return false
	}
	for i := range a.Certificates {
		ca, cb := a.Certificates[i].Certificate, b.Certificates[i].Certificate
		if len(ca) != len(cb) {
			return false
		}
		for j := range ca {
			if !bytes.Equal(ca[j], cb[j]) {
				return false
			}
		}
	}
	return true
}

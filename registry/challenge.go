package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pullwarden/pullwarden/cause"
)

// challenges keeps each registry's answer to the /v2/ ping (its scheme,
// status and WWW-Authenticate challenge) for the life of the Client, so a
// warm pull costs its manifest HEAD alone instead of a ping and a HEAD.
// It sits under ggcr's transports and answers their ping from memory; the
// token exchange, when the challenge asks for one, still happens per
// pull. An answer is forgotten when a call against that host fails with a
// cause the challenge may explain (Unauthorized, RegistryUnreachable,
// ProtocolError); a call that failed Unauthorized on a remembered
// challenge is run once more with a fresh ping (the registry may have
// turned authentication on).
type challenges struct {
	inner http.RoundTripper
	mu    sync.Mutex
	known map[string]challenge // by host
}

type challenge struct {
	scheme string
	status int
	header http.Header // WWW-Authenticate
}

// pingHit, in a request's context, is set when the ping was answered from
// memory.
type pingHitKey struct{}

func withPingHit(ctx context.Context) (context.Context, *atomic.Bool) {
	hit := &atomic.Bool{}
	return context.WithValue(ctx, pingHitKey{}, hit), hit
}

func isPing(req *http.Request) bool {
	return req.Method == http.MethodGet && req.URL.Path == "/v2/" && req.Header.Get("Authorization") == ""
}

func (cs *challenges) RoundTrip(req *http.Request) (*http.Response, error) {
	if !isPing(req) {
		return cs.inner.RoundTrip(req)
	}
	host := req.URL.Host
	cs.mu.Lock()
	ch, ok := cs.known[host]
	cs.mu.Unlock()
	if ok {
		if hit, _ := req.Context().Value(pingHitKey{}).(*atomic.Bool); hit != nil {
			hit.Store(true)
		}
		if !strings.EqualFold(ch.scheme, req.URL.Scheme) {
			// ggcr races https and http for registries allowed over
			// plain HTTP: the scheme that did not answer before loses.
			return nil, fmt.Errorf("registry %s answers over %s", host, ch.scheme)
		}
		return &http.Response{
			Status: fmt.Sprintf("%d %s", ch.status, http.StatusText(ch.status)), StatusCode: ch.status,
			Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: ch.header.Clone(), Body: io.NopCloser(bytes.NewReader(nil)), ContentLength: 0, Request: req,
		}, nil
	}
	resp, err := cs.inner.RoundTrip(req)
	if err == nil && (resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized) {
		h := http.Header{}
		for _, v := range resp.Header.Values("WWW-Authenticate") {
			h.Add("WWW-Authenticate", v)
		}
		cs.mu.Lock()
		cs.known[host] = challenge{scheme: req.URL.Scheme, status: resp.StatusCode, header: h}
		cs.mu.Unlock()
	}
	return resp, err
}

// forget drops what is known of host ("host:port").
func (cs *challenges) forget(host string) {
	cs.mu.Lock()
	delete(cs.known, host)
	cs.mu.Unlock()
}

// withSession opens a session for ref and runs fn on it, rerunning once
// with a fresh ping when fn failed Unauthorized on a remembered challenge.
func (c *Client) withSession(ctx context.Context, ref sessionRef, fn func(*session) error) error {
	for try := 1; ; try++ {
		octx, cached := withPingHit(ctx)
		s, err := c.open(octx, ref.ref, ref.auth)
		if err == nil {
			err = fn(s)
		}
		if err == nil {
			return nil
		}
		if errors.Is(err, cause.Unauthorized) || errors.Is(err, cause.RegistryUnreachable) || errors.Is(err, cause.ProtocolError) {
			c.challenges.forget(ref.ref.Registry())
			if try == 1 && cached.Load() && errors.Is(err, cause.Unauthorized) {
				c.opts.Logger.DebugContext(ctx, "authentication failed on a remembered challenge; pinging again",
					"host", ref.ref.Registry())
				continue
			}
		}
		return err
	}
}

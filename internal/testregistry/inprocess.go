package testregistry

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
)

// StartInProcess serves go-containerregistry's in-memory registry on
// loopback (127.0.0.1 and a free port unless WithAddr says otherwise) and
// closes it in t.Cleanup. Applicable options: WithAddr, WithMiddleware,
// WithRegistryOptions.
func StartInProcess(t testing.TB, opts ...Option) *Registry {
	t.Helper()
	c := newConfig(opts)
	ggcr := append([]registry.Option{registry.Logger(quietLogger())}, c.ggcrOpts...)
	var h http.Handler = registry.New(ggcr...)
	for _, wrap := range c.middleware {
		h = wrap(h)
	}
	b := &inProcess{handler: h, addr: c.addr}
	if err := b.start(); err != nil {
		t.Fatalf("testregistry: in-process registry: %v", err)
	}
	r := &Registry{t: t, backend: b, Host: b.addr, URL: "http://" + b.addr}
	t.Cleanup(func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if b.running() {
			_ = b.stop()
		}
	})
	return r
}

type inProcess struct {
	handler http.Handler
	addr    string // after the first start: the concrete host:port
	srv     *httptest.Server
}

func (b *inProcess) start() error {
	ln, err := net.Listen("tcp", b.addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", b.addr, err)
	}
	if ip := ln.Addr().(*net.TCPAddr).IP; !ip.IsLoopback() {
		ln.Close()
		return fmt.Errorf("address %s is not loopback", b.addr)
	}
	srv := httptest.NewUnstartedServer(b.handler)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	b.srv = srv
	b.addr = ln.Addr().String()
	return nil
}

func (b *inProcess) stop() error {
	b.srv.CloseClientConnections()
	b.srv.Close()
	b.srv = nil
	return nil
}

func (b *inProcess) running() bool { return b.srv != nil }

package throttle_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/pullwarden/pullwarden/clock"
	"github.com/pullwarden/pullwarden/internal/faultproxy"
	"github.com/pullwarden/pullwarden/internal/testimage"
	"github.com/pullwarden/pullwarden/internal/testregistry"
	"github.com/pullwarden/pullwarden/throttle"
)

var epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// env is a real in-process registry holding repo "app:v1", behind a fault
// proxy, reached through a Throttle's transport on a fake clock.
type env struct {
	clk    *clock.Fake
	th     *throttle.Throttle
	proxy  *faultproxy.Proxy
	base   string // http://127.0.0.1:PORT of the proxy
	host   string // its Key
	client *http.Client
	layer  string // digest of the image's layer
	mfst   string // manifest digest
}

func newEnv(t *testing.T, opts throttle.Options, middleware ...func(http.Handler) http.Handler) *env {
	t.Helper()
	var ropts []testregistry.Option
	for _, m := range middleware {
		ropts = append(ropts, testregistry.WithMiddleware(m))
	}
	reg := testregistry.StartInProcess(t, ropts...)
	img, err := testimage.NewRandom(1, 1024)
	if err != nil {
		t.Fatal(err)
	}
	d, err := testimage.Write(t.Context(), img, reg.Ref("app:v1"), nil)
	if err != nil {
		t.Fatal(err)
	}
	layers, _ := img.Layers()
	ld, _ := layers[0].Digest()
	p, err := faultproxy.New(reg.URL)
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewServer(p)
	t.Cleanup(front.Close)
	t.Cleanup(p.Close)
	clk := clock.NewFake(epoch)
	opts.Clock = clk
	th := throttle.New(opts)
	u, _ := url.Parse(front.URL)
	return &env{
		clk: clk, th: th, proxy: p, base: front.URL, host: throttle.Key(u),
		client: &http.Client{Transport: th.Transport(nil)},
		layer:  ld.String(), mfst: d.String(),
	}
}

// do sends method path through the throttle and returns the status (or
// -1 and the error), draining and closing the body.
func (e *env) do(ctx context.Context, method, path string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, method, e.base+path, nil)
	if err != nil {
		return -1, err
	}
	req.Header.Set("Accept", "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json")
	resp, err := e.client.Do(req)
	if err != nil {
		return -1, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// sent is the number of requests that reached the proxy.
func (e *env) sent() int { return len(e.proxy.Requests()) }

// waitWaiters waits (in real time, bounded) until n timers are armed on
// the fake clock.
func waitWaiters(t *testing.T, clk *clock.Fake, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for clk.Waiters() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d timers armed on the fake clock, want %d", clk.Waiters(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// result of one request sent in the background.
type result struct {
	path   string
	status int
	err    error
}

func (e *env) goDo(ctx context.Context, method, path string, out chan<- result) {
	go func() {
		st, err := e.do(ctx, method, path)
		out <- result{path: fmt.Sprintf("%s %s", method, path), status: st, err: err}
	}()
}

// noneWithin asserts nothing arrives on ch for d of real time.
func noneWithin(t *testing.T, ch <-chan result, d time.Duration, what string) {
	t.Helper()
	select {
	case r := <-ch:
		t.Fatalf("%s: %s finished (status %d, err %v) before the wait passed", what, r.path, r.status, r.err)
	case <-time.After(d):
	}
}

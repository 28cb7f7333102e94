package throttle

import (
	"io"
	"net/http"
	"sync"
)

// Transport returns an http.RoundTripper that sends each request through
// base (default http.DefaultTransport) only once the Throttle admits it,
// and learns from every response:
//
//   - every request waits for its host's shared wait; a manifest GET
//     also waits while the host's pull quota is seen used up;
//   - manifest and tag-list requests take a token from the host's bucket;
//   - blob downloads take a transfer slot, released when the response
//     body is closed or read to its end (or the request fails);
//   - every response is passed to Observe.
//
// A request whose context ends while it waits fails with the context's
// error and is not sent.
func (t *Throttle) Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{t: t, base: base}
}

type transport struct {
	t    *Throttle
	base http.RoundTripper
}

func (tr *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	h := Key(req.URL)
	k := Classify(req.Method, req.URL.Path)
	if err := tr.t.wait(ctx, h, k, counted(req.Method, req.URL.Path)); err != nil {
		closeBody(req)
		return nil, err
	}
	release := func() {}
	if k == Blob {
		r, err := tr.t.Acquire(ctx, h)
		if err != nil {
			closeBody(req)
			return nil, err
		}
		release = r
	}
	resp, err := tr.base.RoundTrip(req)
	if err != nil {
		release()
		return nil, err
	}
	tr.t.Observe(h, resp)
	if k == Blob {
		resp.Body = &releaseBody{ReadCloser: resp.Body, release: release}
	}
	return resp, nil
}

// closeBody closes a request body RoundTrip will not send, as the
// RoundTripper contract asks.
func closeBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}

// releaseBody releases a transfer slot once the body is closed or ends.
type releaseBody struct {
	io.ReadCloser
	once    sync.Once
	release func()
}

func (b *releaseBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil {
		b.once.Do(b.release)
	}
	return n, err
}

func (b *releaseBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.release)
	return err
}

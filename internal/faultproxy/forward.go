package faultproxy

import (
	"io"
	"net/http"
	"strconv"
	"time"
)

// hopHeaders are not forwarded in either direction.
var hopHeaders = []string{"Connection", "Keep-Alive", "Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

func (p *Proxy) forward(r *http.Request, f Fault) (*http.Response, error) {
	out := r.Clone(r.Context())
	out.RequestURI = ""
	u := *p.upstream
	u.Path = r.URL.Path
	u.RawPath = r.URL.RawPath
	u.RawQuery = r.URL.RawQuery
	out.URL = &u
	out.Host = p.upstream.Host
	for _, h := range hopHeaders {
		out.Header.Del(h)
	}
	if f.Kind == StripRange {
		out.Header.Del("Range")
	}
	return p.transport.RoundTrip(out)
}

func (p *Proxy) respond(w http.ResponseWriter, r *http.Request, resp *http.Response, f Fault) {
	for k, vs := range resp.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	for _, h := range hopHeaders {
		w.Header().Del(h)
	}
	body := io.Reader(resp.Body)
	switch f.Kind {
	case Truncate:
		w.Header().Set("Content-Length", strconv.FormatInt(f.N, 10))
		body = io.LimitReader(body, f.N)
	case Corrupt:
		body = invert{body}
	}
	w.WriteHeader(resp.StatusCode)
	if r.Method == http.MethodHead {
		return
	}
	rc := http.NewResponseController(w)
	// Bytes are counted before they are written, so a client that has
	// read a body never sees Served short of it.
	out := &servedWriter{p: p, path: r.URL.Path, w: w}
	switch f.Kind {
	case Cut:
		_, _ = io.CopyN(out, body, f.N)
		if rc.Flush() == nil {
			if conn, _, err := rc.Hijack(); err == nil {
				conn.Close()
			}
		}
	case Stall:
		_, _ = io.CopyN(out, body, f.N)
		_ = rc.Flush()
		f.notify()
		select {
		case <-r.Context().Done():
		case <-p.closed:
		}
	case Trickle:
		p.trickle(out, rc, r, body, f)
	default:
		_, _ = io.Copy(out, body)
	}
}

// servedWriter counts the bytes of path as served, then writes them.
type servedWriter struct {
	p    *Proxy
	path string
	w    io.Writer
}

func (s *servedWriter) Write(b []byte) (int, error) {
	s.p.addServed(s.path, int64(len(b)))
	return s.w.Write(b)
}

func (p *Proxy) trickle(w io.Writer, rc *http.ResponseController, r *http.Request, body io.Reader, f Fault) {
	per := max(f.N, 1)
	tick := time.NewTicker(max(f.Tick, time.Millisecond))
	defer tick.Stop()
	for {
		_, err := io.CopyN(w, body, per)
		_ = rc.Flush()
		if err != nil {
			return
		}
		select {
		case <-tick.C:
		case <-r.Context().Done():
			return
		case <-p.closed:
			return
		}
	}
}

// invert flips every bit of the bytes it reads.
type invert struct{ r io.Reader }

func (i invert) Read(b []byte) (int, error) {
	n, err := i.r.Read(b)
	for k := range b[:n] {
		b[k] ^= 0xff
	}
	return n, err
}

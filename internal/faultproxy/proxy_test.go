package faultproxy

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

var payload = bytes.Repeat([]byte("0123456789"), 100) // 1000 bytes

func newProxy(t *testing.T) (*Proxy, *httptest.Server) {
	t.Helper()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "blob", time.Time{}, bytes.NewReader(payload))
	}))
	t.Cleanup(up.Close)
	p, err := New(up.URL)
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewServer(p)
	t.Cleanup(front.Close)
	t.Cleanup(p.Close)
	return p, front
}

func TestFaults(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		fault    Fault
		rng      string
		status   int
		body     []byte
		readErr  bool
		served   int64
		location string
	}{
		{name: "pass", fault: Fault{Kind: Pass}, status: 200, body: payload, served: 1000},
		{name: "cut", fault: Fault{Kind: Cut, N: 300}, status: 200, body: payload[:300], readErr: true, served: 300},
		{name: "truncate", fault: Fault{Kind: Truncate, N: 300}, status: 200, body: payload[:300], served: 300},
		{name: "status", fault: Fault{Kind: Status, Code: 429, RetryAfter: "7", Body: `{"errors":[]}`}, status: 429, body: []byte(`{"errors":[]}`), served: 13},
		{name: "trickle", fault: Fault{Kind: Trickle, N: 400, Tick: time.Millisecond}, status: 200, body: payload, served: 1000},
		{name: "corrupt", fault: Fault{Kind: Corrupt}, status: 200, body: invertAll(payload), served: 1000},
		{name: "range passes", fault: Fault{Kind: Pass}, rng: "bytes=900-999", status: 206, body: payload[900:], served: 100},
		{name: "strip range", fault: Fault{Kind: StripRange}, rng: "bytes=900-999", status: 200, body: payload, served: 1000},
		{name: "redirect", fault: Fault{Kind: Redirect, Target: "http://127.0.0.2:1"}, status: 307, location: "http://127.0.0.2:1/v2/x/blobs/d?q=1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, front := newProxy(t)
			p.Add(Rule{Method: "GET", Path: `/blobs/`, Times: 1, Fault: tc.fault})
			req, _ := http.NewRequestWithContext(t.Context(), "GET", front.URL+"/v2/x/blobs/d?q=1", nil)
			req.Header.Set("Authorization", "Bearer hunter2")
			if tc.rng != "" {
				req.Header.Set("Range", tc.rng)
			}
			resp, err := http.DefaultTransport.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if (err != nil) != tc.readErr {
				t.Fatalf("read error %v, want error: %v", err, tc.readErr)
			}
			if resp.StatusCode != tc.status || (tc.body != nil && !bytes.Equal(body, tc.body)) {
				t.Fatalf("status %d, %d bytes", resp.StatusCode, len(body))
			}
			if tc.fault.Kind == Status && resp.Header.Get("Retry-After") != "7" {
				t.Fatal("no Retry-After")
			}
			if got := resp.Header.Get("Location"); got != tc.location {
				t.Fatalf("Location %q, want %q", got, tc.location)
			}
			if got := p.Served("/v2/x/blobs/d"); got != tc.served {
				t.Fatalf("served %d, want %d", got, tc.served)
			}
			reqs := p.Requests()
			if len(reqs) != 1 || !reqs[0].Auth || reqs[0].Range != tc.rng || reqs[0].Fault != tc.fault.Kind || reqs[0].Method != "GET" {
				t.Fatalf("recorded %+v", reqs)
			}
		})
	}
}

func invertAll(b []byte) []byte {
	out := make([]byte, len(b))
	for i := range b {
		out[i] = b[i] ^ 0xff
	}
	return out
}

func TestRulesCountAndMatch(t *testing.T) {
	t.Parallel()
	p, front := newProxy(t)
	p.Add(Rule{Method: "GET", Path: `/blobs/`, Times: 2, Fault: Fault{Kind: Status, Code: 503}})
	p.Add(Rule{Method: "HEAD", Fault: Fault{Kind: Status, Code: 404}})
	var codes []int
	for _, m := range []string{"GET", "GET", "GET", "HEAD"} {
		req, _ := http.NewRequestWithContext(t.Context(), m, front.URL+"/v2/x/blobs/d", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		codes = append(codes, resp.StatusCode)
	}
	if want := []int{503, 503, 200, 404}; !equal(codes, want) {
		t.Fatalf("codes %v, want %v", codes, want)
	}
	if p.Requests()[0].Auth {
		t.Fatal("Auth recorded without a header")
	}
	p.Reset()
	if len(p.Requests()) != 0 || p.ServedTotal() != 0 {
		t.Fatal("Reset kept state")
	}
}

func TestStallNotifiesAndHolds(t *testing.T) {
	t.Parallel()
	p, front := newProxy(t)
	notify := make(chan struct{}, 1)
	p.Add(Rule{Path: `/blobs/`, Fault: Fault{Kind: Stall, N: 100, Notify: notify}})
	resp, err := http.Get(front.URL + "/v2/x/blobs/d")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf := make([]byte, 100)
	if _, err := io.ReadFull(resp.Body, buf); err != nil || !bytes.Equal(buf, payload[:100]) {
		t.Fatalf("first bytes: %v", err)
	}
	<-notify
	p.Close() // releases the stalled handler: the body ends short
	if rest, err := io.ReadAll(resp.Body); err == nil || len(rest) != 0 {
		t.Fatalf("after the stall: %d bytes, err %v", len(rest), err)
	}
}

func TestNewRejectsBadUpstream(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"", "127.0.0.1:5000", "://x"} {
		if _, err := New(u); err == nil || !strings.Contains(err.Error(), "upstream") {
			t.Errorf("New(%q) = %v", u, err)
		}
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestHangSendsNothing(t *testing.T) {
	t.Parallel()
	p, front := newProxy(t)
	p.Add(Rule{Path: `/v2/`, Fault: Fault{Kind: Hang}})
	tr := &http.Transport{ResponseHeaderTimeout: 200 * time.Millisecond}
	defer tr.CloseIdleConnections()
	req, _ := http.NewRequestWithContext(t.Context(), "GET", front.URL+"/v2/", nil)
	resp, err := tr.RoundTrip(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("got %d, want no answer", resp.StatusCode)
	}
	if !strings.Contains(err.Error(), "timeout") {
		t.Fatalf("err = %v, want a header timeout", err)
	}
}

func TestRawWritesTheResponseAsIs(t *testing.T) {
	t.Parallel()
	p, front := newProxy(t)
	p.Add(Rule{Fault: Fault{Kind: Raw, Body: "HTTP/1.1 200 OK\r\nContent-Length: twelve\r\n\r\n"}})
	req, _ := http.NewRequestWithContext(t.Context(), "HEAD", front.URL+"/v2/x/manifests/v1", nil)
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err == nil {
		resp.Body.Close()
		t.Fatal("a malformed Content-Length was accepted")
	}
	if !strings.Contains(err.Error(), "Content-Length") {
		t.Fatalf("err = %v", err)
	}
}

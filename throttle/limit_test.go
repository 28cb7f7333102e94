package throttle_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pullwarden/pullwarden/clock"
	"github.com/pullwarden/pullwarden/throttle"
)

// The token bucket admits Burst manifest requests at once, then one every
// 1/QPS, waiting instead of failing (the kubelet fails with "pull QPS
// exceeded"). Pings and blobs take no token.
func TestTokenBucketWaitsInsteadOfFailing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, throttle.Options{}) // kubelet defaults: 5 QPS, burst 10
	for i := range throttle.DefaultBurst {
		if st, err := e.do(t.Context(), "HEAD", "/v2/app/manifests/v1"); st != 200 {
			t.Fatalf("request %d within the burst: %d %v", i, st, err)
		}
	}
	if st, _ := e.do(t.Context(), "GET", "/v2/"); st != 200 {
		t.Fatal("a ping must not need a token")
	}
	if st, _ := e.do(t.Context(), "GET", "/v2/app/blobs/"+e.layer); st != 200 {
		t.Fatal("a blob must not need a token")
	}
	out := make(chan result, 3)
	for range 3 {
		e.goDo(t.Context(), "HEAD", "/v2/app/manifests/v1", out)
	}
	waitWaiters(t, e.clk, 3)
	before := e.sent()
	for i := 1; i <= 3; i++ {
		e.clk.Step(200 * time.Millisecond) // one token at 5 QPS
		if r := <-out; r.status != 200 {
			t.Fatalf("waiting request: %d %v", r.status, r.err)
		}
		noneWithin(t, out, 20*time.Millisecond, "one token per 200ms")
		if got := e.sent() - before; got != i {
			t.Fatalf("after %d tokens %d requests were sent", i, got)
		}
	}
}

// PerHost limits apply to the named host only; a negative QPS disables
// the bucket.
func TestPerHostLimits(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(epoch)
	th := throttle.New(throttle.Options{Clock: clk, PerHost: map[string]throttle.Limits{"free.example": {QPS: -1}}})
	for i := range 100 {
		if err := th.Wait(t.Context(), "free.example", throttle.Manifest); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	for range throttle.DefaultBurst {
		if err := th.Wait(t.Context(), "other.example", throttle.Manifest); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan error, 1)
	go func() { done <- th.Wait(t.Context(), "other.example", throttle.Manifest) }()
	waitWaiters(t, clk, 1)
	select {
	case <-done:
		t.Fatal("the default bucket did not make the 11th request wait")
	case <-time.After(20 * time.Millisecond):
	}
	clk.Step(200 * time.Millisecond)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// At most Transfers blob downloads to one host are in flight; the slot is
// released when the body is closed.
func TestTransferCap(t *testing.T) {
	t.Parallel()
	var inFlight, peak atomic.Int32
	gate := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		<-gate
		io.WriteString(w, "blob")
	}))
	defer srv.Close()
	th := throttle.New(throttle.Options{Default: throttle.Limits{Transfers: 2}})
	client := &http.Client{Transport: th.Transport(nil)}
	const n = 6
	errs := make(chan error, n)
	for range n {
		go func() {
			resp, err := client.Get(srv.URL + "/v2/app/blobs/sha256:aa")
			if err != nil {
				errs <- err
				return
			}
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			errs <- err
		}()
	}
	deadline := time.Now().Add(10 * time.Second)
	for inFlight.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(30 * time.Millisecond) // give a third request the chance to slip through
	if got := inFlight.Load(); got != 2 {
		t.Fatalf("%d transfers in flight, want 2", got)
	}
	close(gate)
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if p := peak.Load(); p != 2 {
		t.Fatalf("peak %d concurrent transfers, want 2", p)
	}
	u, _ := url.Parse(srv.URL)
	rel, err := th.Acquire(t.Context(), throttle.Key(u))
	if err != nil {
		t.Fatal(err)
	}
	rel()
	rel() // releasing twice is harmless
}

func TestClassifyAndKey(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		method, path string
		want         throttle.Kind
	}{
		{"GET", "/v2/", throttle.Other},
		{"HEAD", "/v2/library/busybox/manifests/latest", throttle.Manifest},
		{"GET", "/v2/a/b/c/manifests/sha256:ab", throttle.Manifest},
		{"PUT", "/v2/a/manifests/v1", throttle.Other},
		{"GET", "/v2/a/tags/list", throttle.Manifest},
		{"GET", "/v2/a/blobs/sha256:ab", throttle.Blob},
		{"HEAD", "/v2/a/blobs/sha256:ab", throttle.Other},
		{"GET", "/v2/a/blobs/uploads/123", throttle.Other},
		{"GET", "/token", throttle.Other},
	} {
		if got := throttle.Classify(c.method, c.path); got != c.want {
			t.Errorf("Classify(%s %s) = %v, want %v", c.method, c.path, got, c.want)
		}
	}
	for in, want := range map[string]string{
		"https://Registry-1.Docker.io:443/v2/": "registry-1.docker.io",
		"http://127.0.0.1:80/v2/":              "127.0.0.1",
		"http://127.0.0.1:5000/v2/":            "127.0.0.1:5000",
		"https://r.example:5000/v2/":           "r.example:5000",
		"http://r.example:443/v2/":             "r.example:443",
	} {
		u, _ := url.Parse(in)
		if got := throttle.Key(u); got != want {
			t.Errorf("Key(%s) = %q, want %q", in, got, want)
		}
	}
}

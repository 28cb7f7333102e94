package throttle_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pullwarden/pullwarden/internal/faultproxy"
	"github.com/pullwarden/pullwarden/throttle"
)

// A 429 with Retry-After on one request holds every request to the host,
// of every kind, until the wait has passed: the proxy sees none before.
func TestRetryAfterHoldsEveryRequestToTheHost(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, retryAfter string
		code             int
		wait             time.Duration
	}{
		{"429 seconds", "30", 429, 30 * time.Second},
		{"503 seconds", "12", 503, 12 * time.Second},
		{"429 HTTP date", epoch.Add(45 * time.Second).Format(http.TimeFormat), 429, 45 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var holds atomic.Int32
			e := newEnv(t, throttle.Options{OnHold: func(string, time.Time, throttle.Reason) { holds.Add(1) }})
			e.proxy.Add(faultproxy.Rule{Method: "HEAD", Path: "/manifests/", Times: 1,
				Fault: faultproxy.Fault{Kind: faultproxy.Status, Code: tc.code, RetryAfter: tc.retryAfter}})
			if st, err := e.do(t.Context(), "HEAD", "/v2/app/manifests/v1"); err != nil || st != tc.code {
				t.Fatalf("first request: %d %v, want %d", st, err, tc.code)
			}
			if s := e.th.State(e.host); !s.Hold.Equal(epoch.Add(tc.wait)) || s.Why != throttle.RetryAfter {
				t.Fatalf("state %+v, want hold until +%v for RetryAfter", s, tc.wait)
			}
			out := make(chan result, 8)
			paths := []struct{ m, p string }{
				{"HEAD", "/v2/app/manifests/v1"}, {"GET", "/v2/app/manifests/v1"},
				{"GET", "/v2/app/manifests/" + e.mfst}, {"GET", "/v2/app/tags/list"},
				{"GET", "/v2/app/blobs/" + e.layer}, {"HEAD", "/v2/app/blobs/" + e.layer},
				{"GET", "/v2/"}, {"GET", "/v2/app/blobs/" + e.layer},
			}
			for _, p := range paths {
				e.goDo(t.Context(), p.m, p.p, out)
			}
			waitWaiters(t, e.clk, len(paths))
			e.clk.Step(tc.wait - time.Second)
			noneWithin(t, out, 50*time.Millisecond, "1s before the end")
			if n := e.sent(); n != 1 {
				t.Fatalf("%d requests reached the registry during the wait, want only the first", n-1)
			}
			e.clk.Step(time.Second)
			for range paths {
				r := <-out
				if r.err != nil || r.status != 200 {
					t.Errorf("%s after the wait: %d %v", r.path, r.status, r.err)
				}
			}
			if n := e.sent(); n != 1+len(paths) {
				t.Fatalf("%d requests reached the registry, want %d", n, 1+len(paths))
			}
			if holds.Load() != 1 {
				t.Fatalf("OnHold called %d times, want 1", holds.Load())
			}
		})
	}
}

// Docker Hub's quota headers on a 429 without Retry-After: the wait is
// one slot of the rolling window (21600 s / 100 = 216 s).
func TestDockerHubQuotaOn429(t *testing.T) {
	t.Parallel()
	var first atomic.Bool
	hub := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("ratelimit-limit", "100;w=21600")
			if r.Method == "GET" && !first.Swap(true) {
				w.Header().Set("ratelimit-remaining", "0;w=21600")
				w.Header().Set("docker-ratelimit-source", "192.0.2.1")
				http.Error(w, `{"errors":[{"code":"TOOMANYREQUESTS","message":"You have reached your pull rate limit."}]}`, http.StatusTooManyRequests)
				return
			}
			w.Header().Set("ratelimit-remaining", "99;w=21600")
			next.ServeHTTP(w, r)
		})
	}
	e := newEnv(t, throttle.Options{}, hub)
	first.Store(false) // the image's push is done
	if st, _ := e.do(t.Context(), "GET", "/v2/app/manifests/v1"); st != 429 {
		t.Fatalf("first GET: %d, want 429", st)
	}
	s := e.th.State(e.host)
	if want := epoch.Add(216 * time.Second); !s.Hold.Equal(want) || s.Why != throttle.QuotaExhausted {
		t.Fatalf("state %+v, want hold until %v for QuotaExhausted", s, want)
	}
	if q := s.Quota; !q.Known || q.Limit != 100 || q.Remaining != 0 || q.Window != 6*time.Hour {
		t.Fatalf("quota %+v", q)
	}
	out := make(chan result, 2)
	e.goDo(t.Context(), "HEAD", "/v2/app/manifests/v1", out)
	e.goDo(t.Context(), "GET", "/v2/app/blobs/"+e.layer, out)
	waitWaiters(t, e.clk, 2)
	e.clk.Step(215 * time.Second)
	noneWithin(t, out, 50*time.Millisecond, "at 215s")
	if e.sent() != 1 {
		t.Fatalf("requests reached the registry during the wait")
	}
	e.clk.Step(time.Second)
	for range 2 {
		if r := <-out; r.status != 200 {
			t.Fatalf("%s: %d %v", r.path, r.status, r.err)
		}
	}
	if q := e.th.State(e.host).Quota; q.Remaining != 99 {
		t.Fatalf("quota not re-read from the later response: %+v", q)
	}
}

// A successful answer that says the quota is used up holds the requests
// that count against it (manifest GETs) and lets HEADs and blobs through;
// a later answer with room again releases the held GETs at once.
func TestQuotaUsedUpHoldsOnlyCountedRequests(t *testing.T) {
	t.Parallel()
	var remaining atomic.Int32
	hub := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("RateLimit-Limit", "100;w=21600")
			w.Header().Set("RateLimit-Remaining", strconv.Itoa(int(remaining.Load()))+";w=21600")
			next.ServeHTTP(w, r)
		})
	}
	e := newEnv(t, throttle.Options{}, hub)
	if st, _ := e.do(t.Context(), "GET", "/v2/app/manifests/v1"); st != 200 {
		t.Fatalf("GET: %d", st)
	}
	if s := e.th.State(e.host); !s.QuotaHold.Equal(epoch.Add(216*time.Second)) || !s.Hold.IsZero() {
		t.Fatalf("state %+v, want a quota hold of 216s and no shared hold", s)
	}
	out := make(chan result, 1)
	e.goDo(t.Context(), "GET", "/v2/app/manifests/v1", out)
	waitWaiters(t, e.clk, 1)
	for _, p := range []string{"/v2/app/blobs/" + e.layer, "/v2/"} {
		if st, err := e.do(t.Context(), "GET", p); st != 200 {
			t.Fatalf("GET %s during the quota hold: %d %v", p, st, err)
		}
	}
	noneWithin(t, out, 30*time.Millisecond, "quota used up")
	remaining.Store(3)
	if st, _ := e.do(t.Context(), "HEAD", "/v2/app/manifests/v1"); st != 200 {
		t.Fatalf("HEAD during the quota hold: %d", st)
	}
	select {
	case r := <-out:
		if r.status != 200 {
			t.Fatalf("held GET: %d %v", r.status, r.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the held GET was not released by an answer with quota left")
	}
}

// Consecutive 429s without a hint wait NoHintWait, then twice as long.
func TestTooManyRequestsWithoutHintDoubles(t *testing.T) {
	t.Parallel()
	e := newEnv(t, throttle.Options{NoHintWait: 2 * time.Second})
	e.proxy.Add(faultproxy.Rule{Path: "/manifests/", Times: 2, Fault: faultproxy.Fault{Kind: faultproxy.Status, Code: 429}})
	e.do(t.Context(), "HEAD", "/v2/app/manifests/v1")
	if s := e.th.State(e.host); !s.Hold.Equal(epoch.Add(2*time.Second)) || s.Why != throttle.TooManyRequests {
		t.Fatalf("after one 429: %+v", s)
	}
	out := make(chan result, 1)
	e.goDo(t.Context(), "HEAD", "/v2/app/manifests/v1", out)
	waitWaiters(t, e.clk, 1)
	e.clk.Step(2 * time.Second)
	if r := <-out; r.status != 429 {
		t.Fatalf("second: %d %v", r.status, r.err)
	}
	if s := e.th.State(e.host); !s.Hold.Equal(epoch.Add(6 * time.Second)) {
		t.Fatalf("after two 429s: hold %v, want +6s (2s then 4s)", s.Hold.Sub(epoch))
	}
}

// A request whose context ends while it waits is never sent.
func TestCancelledWaitSendsNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, throttle.Options{})
	e.th.Hold(e.host, epoch.Add(time.Minute), throttle.RetryAfter)
	ctx, cancel := context.WithCancel(t.Context())
	out := make(chan result, 1)
	e.goDo(ctx, "GET", "/v2/app/manifests/v1", out)
	waitWaiters(t, e.clk, 1)
	cancel()
	r := <-out
	if !errors.Is(r.err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", r.err)
	}
	if e.sent() != 0 {
		t.Fatal("a cancelled request reached the registry")
	}
}

// MaxWait caps what a registry may ask.
func TestMaxWaitCapsRetryAfter(t *testing.T) {
	t.Parallel()
	e := newEnv(t, throttle.Options{MaxWait: time.Hour})
	e.proxy.Add(faultproxy.Rule{Times: 1, Fault: faultproxy.Fault{Kind: faultproxy.Status, Code: 429, RetryAfter: "999999999999999999999"}})
	e.do(t.Context(), "GET", "/v2/")
	if s := e.th.State(e.host); !s.Hold.Equal(epoch.Add(time.Hour)) {
		t.Fatalf("hold %v, want capped at 1h", s.Hold.Sub(epoch))
	}
}

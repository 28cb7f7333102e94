package throttle

import (
	"net/http"
	"testing"
	"time"
)

var now = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func TestParseQuota(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		limit, remaining, reset string
		want                    Quota
	}{
		{"100;w=21600", "76;w=21600", "", Quota{Known: true, Limit: 100, Remaining: 76, Window: 6 * time.Hour, Seen: now}},
		{"100;w=21600", "0;w=21600", "", Quota{Known: true, Limit: 100, Remaining: 0, Window: 6 * time.Hour, Seen: now}},
		{"200", " 0 ", "120", Quota{Known: true, Limit: 200, Remaining: 0, Reset: 2 * time.Minute, Seen: now}},
		{"10, 10;w=1, 50;w=60", "", "", Quota{Known: true, Limit: 10, Remaining: -1, Seen: now}},
		{"100 ; W = 3600", "x", "", Quota{Known: true, Limit: 100, Remaining: -1, Window: time.Hour, Seen: now}},
		{"", "", "", Quota{Limit: -1, Remaining: -1}},
		{"-1", "abc", "", Quota{Limit: -1, Remaining: -1}},
		{"100;w=99999999999999999999", "1", "", Quota{Known: true, Limit: 100, Remaining: 1, Seen: now}},
	} {
		h := http.Header{}
		for k, v := range map[string]string{"ratelimit-limit": c.limit, "ratelimit-remaining": c.remaining, "ratelimit-reset": c.reset} {
			if v != "" {
				h.Set(k, v)
			}
		}
		if got := parseQuota(h, now); got != c.want {
			t.Errorf("limit %q remaining %q reset %q: got %+v, want %+v", c.limit, c.remaining, c.reset, got, c.want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"7", 7 * time.Second, true},
		{" 0 ", 0, true},
		{now.Add(9 * time.Second).Format(http.TimeFormat), 9 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"99999999999999999999999", maxSeconds * time.Second, true},
		{"", 0, false},
		{"-3", 0, false},
		{"1.5", 0, false},
		{"soon", 0, false},
	} {
		got, ok := parseRetryAfter(c.in, now)
		if got != c.want || ok != c.ok {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

// FuzzHeaders feeds arbitrary header values to the parsers: no panic, no
// negative or overflowing durations.
func FuzzHeaders(f *testing.F) {
	f.Add("100;w=21600", "0;w=21600", "", "30")
	f.Add("10, 10;w=1, 50;w=60", "3", "120", "Wed, 21 Oct 2015 07:28:00 GMT")
	f.Fuzz(func(t *testing.T, limit, remaining, reset, after string) {
		h := http.Header{}
		h.Set("Ratelimit-Limit", limit)
		h.Set("Ratelimit-Remaining", remaining)
		h.Set("Ratelimit-Reset", reset)
		q := parseQuota(h, now)
		if q.Window < 0 || q.Reset < 0 || q.Window > maxSeconds*time.Second || q.Reset > maxSeconds*time.Second {
			t.Fatalf("durations out of range: %+v", q)
		}
		if q.Limit < -1 || q.Remaining < -1 {
			t.Fatalf("negative counts: %+v", q)
		}
		d, _ := parseRetryAfter(after, now)
		if d < 0 || d > maxSeconds*time.Second {
			t.Fatalf("Retry-After %q gave %v", after, d)
		}
		th := New(Options{})
		th.Observe("h", &http.Response{StatusCode: 429, Header: h})
		if s := th.State("h"); s.Hold.IsZero() {
			t.Fatal("a 429 set no hold")
		}
	})
}

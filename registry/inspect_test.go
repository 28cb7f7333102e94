package registry

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

func TestReadRateLimit(t *testing.T) {
	h := http.Header{}
	h.Set("RateLimit-Limit", "100;w=21600")
	h.Set("RateLimit-Remaining", " 76;w=21600")
	rl := readRateLimit(h)
	if !rl.Known || rl.Limit != 100 || rl.Remaining != 76 || rl.Window != 6*time.Hour {
		t.Fatalf("%+v", rl)
	}
	h.Set("RateLimit-Remaining", "lots")
	if rl := readRateLimit(h); rl.Known {
		t.Fatalf("a malformed header was read: %+v", rl)
	}
}

func TestNextLink(t *testing.T) {
	base, _ := url.Parse("http://reg:5000/v2/team/app/tags/list?n=1000")
	if got := nextLink(base, `</v2/team/app/tags/list?n=1000&last=v9>; rel="next"`); got != "http://reg:5000/v2/team/app/tags/list?n=1000&last=v9" {
		t.Fatalf("next = %q", got)
	}
	if got := nextLink(base, `<http://evil.example/v2/x>; rel="next"`); got != "" {
		t.Fatalf("followed a link to another host: %q", got)
	}
}

func FuzzRateLimitHeaders(f *testing.F) {
	for _, s := range []string{"100;w=21600", "0", ";w=", "-1;w=5", "99999999999999999999;w=1"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, limit, remaining string) {
		h := http.Header{}
		h.Set("RateLimit-Limit", limit)
		h.Set("RateLimit-Remaining", remaining)
		rl := readRateLimit(h)
		if rl.Known && (rl.Limit < 0 || rl.Remaining < 0 || rl.Window < 0) {
			t.Fatalf("negative: %+v", rl)
		}
		base, _ := url.Parse("http://reg/v2/a/tags/list")
		if next := nextLink(base, limit); next != "" {
			if u, err := url.Parse(next); err != nil || u.Host != "reg" {
				t.Fatalf("next %q", next)
			}
		}
	})
}

package throttle

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Quota is what a registry's quota headers said last.
type Quota struct {
	// Known is false until a response carried ratelimit-limit or
	// ratelimit-remaining.
	Known bool
	// Limit and Remaining are the header values; -1 when absent.
	Limit, Remaining int
	// Window is the quota's period ("w=21600": 6h); 0 when not given.
	Window time.Duration
	// Reset is the wait the registry announced until the quota refills
	// (ratelimit-reset, in seconds); 0 when not given.
	Reset time.Duration
	// Seen is when the headers were read.
	Seen time.Time
}

// HostState is a snapshot of one host's admission state.
type HostState struct {
	// Hold is the end of the shared wait (zero or past: none) and Why
	// its reason.
	Hold time.Time
	Why  Reason
	// QuotaHold is the end of the wait for counted requests (manifest
	// GETs) after the quota was seen used up.
	QuotaHold time.Time
	// Quota is what the quota headers said last.
	Quota Quota
}

// State returns host h's admission state.
func (t *Throttle) State(h string) HostState {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.get(h)
	return HostState{Hold: s.hold, Why: s.holdWhy, QuotaHold: s.quota, Quota: s.seen}
}

// Hold makes every request to host h wait until until (capped at
// MaxWait from now). A shorter hold than the one in force changes nothing.
func (t *Throttle) Hold(h string, until time.Time, why Reason) {
	t.mu.Lock()
	changed := t.holdLocked(t.get(h), until, why)
	t.mu.Unlock()
	if changed && t.opts.OnHold != nil {
		t.opts.OnHold(h, until, why)
	}
}

func (t *Throttle) holdLocked(s *host, until time.Time, why Reason) bool {
	if limit := t.opts.Clock.Now().Add(t.opts.MaxWait); until.After(limit) {
		until = limit
	}
	if !until.After(s.hold) {
		return false
	}
	s.hold, s.holdWhy = until, why
	return true
}

// Observe learns from a response of host h: a 429 or a 503 with Retry-After sets the shared wait, quota headers set
// or clear the wait of counted requests. The body is not touched.
func (t *Throttle) Observe(h string, resp *http.Response) {
	now := t.opts.Clock.Now()
	q := parseQuota(resp.Header, now)
	after, hasAfter := parseRetryAfter(resp.Header.Get("Retry-After"), now)

	t.mu.Lock()
	s := t.get(h)
	if q.Known {
		s.seen = q
	}
	var until time.Time
	var why Reason
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable && hasAfter:
		switch {
		case hasAfter:
			until, why = now.Add(after), RetryAfter
			s.noHint = 0
		case q.Known && q.Remaining == 0:
			until, why = now.Add(t.quotaWait(q)), QuotaExhausted
			s.noHint = 0
		default:
			until, why = now.Add(t.noHintWait(s.noHint)), TooManyRequests
			s.noHint++
		}
	default:
		s.noHint = 0
		if q.Known && q.Remaining == 0 {
			if end := now.Add(t.quotaWait(q)); end.After(s.quota) {
				s.quota = end
			}
		} else if q.Known && q.Remaining > 0 && s.quota.After(now) {
			s.quota = time.Time{}
			close(s.changed)
			s.changed = make(chan struct{})
		}
	}
	changed := !until.IsZero() && t.holdLocked(s, until, why)
	until = s.hold
	t.mu.Unlock()
	if changed && t.opts.OnHold != nil {
		t.opts.OnHold(h, until, why)
	}
}

// quotaWait estimates how long until a used-up quota has room again: the
// ratelimit-reset the registry announced, else one slot of a rolling
// window (window / limit: 216s for Docker Hub's 100;w=21600), else
// NoHintWait.
func (t *Throttle) quotaWait(q Quota) time.Duration {
	switch {
	case q.Reset > 0:
		return q.Reset
	case q.Window > 0 && q.Limit > 0:
		return q.Window / time.Duration(q.Limit)
	}
	return t.opts.NoHintWait
}

// noHintWait is NoHintWait doubled n times, capped at MaxWait.
func (t *Throttle) noHintWait(n int) time.Duration {
	d := t.opts.NoHintWait
	for i := 0; i < n && d < t.opts.MaxWait; i++ {
		d *= 2
	}
	return min(d, t.opts.MaxWait)
}

// parseQuota reads Docker Hub's quota headers, "ratelimit-limit:
// 100;w=21600" and "ratelimit-remaining: 76;w=21600" (the form of the
// IETF RateLimit header draft), and the draft's "ratelimit-reset: 120".
// Malformed values are ignored.
func parseQuota(h http.Header, now time.Time) Quota {
	q := Quota{Limit: -1, Remaining: -1}
	var w1, w2 time.Duration
	var ok1, ok2 bool
	q.Limit, w1, ok1 = parseQuotaValue(h.Get("Ratelimit-Limit"))
	q.Remaining, w2, ok2 = parseQuotaValue(h.Get("Ratelimit-Remaining"))
	if !ok1 {
		q.Limit = -1
	}
	if !ok2 {
		q.Remaining = -1
	}
	if !ok1 && !ok2 {
		return Quota{Limit: -1, Remaining: -1}
	}
	q.Known, q.Seen = true, now
	q.Window = max(w1, w2)
	if n, _, ok := parseQuotaValue(h.Get("Ratelimit-Reset")); ok {
		q.Reset = time.Duration(n) * time.Second
	}
	return q
}

// parseQuotaValue reads "N" or "N;w=SECONDS" (parameters after ';' in any
// order; only the first of comma-separated policies is read).
func parseQuotaValue(v string) (n int, window time.Duration, ok bool) {
	v, _, _ = strings.Cut(v, ",")
	parts := strings.Split(v, ";")
	n, ok = atoi(strings.TrimSpace(parts[0]))
	if !ok {
		return 0, 0, false
	}
	for _, p := range parts[1:] {
		k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(strings.TrimSpace(k), "w") {
			if s, ok := atoi(strings.TrimSpace(val)); ok {
				window = time.Duration(min(s, maxSeconds)) * time.Second
			}
		}
	}
	return n, window, true
}

// maxSeconds bounds parsed seconds so that durations cannot overflow.
const maxSeconds = 366 * 24 * 3600

func atoi(s string) (int, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// parseRetryAfter reads a Retry-After value: delay seconds or an HTTP date
// (relative to now; a date in the past means 0). ok is false when the
// value is absent or malformed.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, ok := atoi(v); ok {
		return time.Duration(min(n, maxSeconds)) * time.Second, true
	}
	if strings.Trim(v, "0123456789") == "" {
		return maxSeconds * time.Second, true // too many digits for an int
	}
	at, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return min(max(at.Sub(now), 0), maxSeconds*time.Second), true
}

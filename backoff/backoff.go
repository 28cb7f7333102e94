package backoff

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pullwarden/pullwarden/clock"
)

// Policy is the shape of a backoff.
type Policy struct {
	// Initial is the window after the first failure.
	Initial time.Duration
	// Max caps the doubling.
	Max time.Duration
	// Expiry: an entry whose last update is more than Expiry old is treated
	// as absent and restarts at Initial. Zero means 2 x Max.
	Expiry time.Duration
}

// The kubelet's numbers.
var (
	// ImagePullPolicy is the kubelet's image pull backoff: 10 s doubling to 300 s,
	// reset after 600 s without a failure.
	ImagePullPolicy = Policy{Initial: 10 * time.Second, Max: 300 * time.Second, Expiry: 600 * time.Second}
	// CrashLoopPolicy is the kubelet's container restart backoff: 10 s doubling to
	// 300 s, reset when the container ran for 600 s.
	CrashLoopPolicy = Policy{Initial: 10 * time.Second, Max: 300 * time.Second, Expiry: 600 * time.Second}
)

func (p Policy) expiry() time.Duration {
	if p.Expiry > 0 {
		return p.Expiry
	}
	return 2 * p.Max
}

// Entry is the saved state of one key.
type Entry struct {
	Key string `json:"key"`
	// Backoff is the current window, in nanoseconds.
	Backoff time.Duration `json:"backoff"`
	// LastUpdate is when the last failure was recorded.
	LastUpdate time.Time `json:"lastUpdate"`
	// LastReason and LastMessage describe the last failure (Fail only).
	LastReason  string `json:"lastReason,omitempty"`
	LastMessage string `json:"lastMessage,omitempty"`
}

// Backoff is a set of per-key exponential backoffs.
type Backoff struct {
	policy  Policy
	clock   clock.PassiveClock
	mu      sync.Mutex
	entries map[string]*Entry
}

// New returns an empty Backoff with policy p reading time from c (the real
// clock when nil).
func New(p Policy, c clock.PassiveClock) *Backoff {
	if c == nil {
		c = clock.Real()
	}
	return &Backoff{policy: p, clock: c, entries: map[string]*Entry{}}
}

// NewImagePull returns the kubelet's image pull backoff (policy ImagePullPolicy).
func NewImagePull(c clock.PassiveClock) *Backoff { return New(ImagePullPolicy, c) }

// Key is the kubelet's image backoff key: "<podUID>_<image>", image exactly
// as written in the container spec.
func Key(podUID, image string) string {
	return podUID + "_" + image
}

// Policy returns the backoff's policy.
func (b *Backoff) Policy() Policy { return b.policy }

// expired reports whether an entry last updated at lastUpdate counts as
// absent at eventTime.
func (b *Backoff) expired(eventTime, lastUpdate time.Time) bool {
	return eventTime.Sub(lastUpdate) > b.policy.expiry()
}

// live returns the entry for key unless it is absent or expired at
// eventTime. Callers hold b.mu.
func (b *Backoff) live(key string, eventTime time.Time) *Entry {
	e, ok := b.entries[key]
	if !ok || b.expired(eventTime, e.LastUpdate) {
		return nil
	}
	return e
}

// Next records a failure for key observed at eventTime (the kubelet passes
// the clock's now for pulls and the container's exit time for crash loops)
// and returns the new window. The window starts now (the clock's time).
func (b *Backoff) Next(key string, eventTime time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.nextLocked(key, eventTime).Backoff
}

func (b *Backoff) nextLocked(key string, eventTime time.Time) *Entry {
	e := b.live(key, eventTime)
	if e == nil {
		e = &Entry{Key: key, Backoff: b.policy.Initial}
		b.entries[key] = e
	} else {
		e.Backoff = min(2*e.Backoff, b.policy.Max)
	}
	e.LastUpdate = b.clock.Now()
	return e
}

// Fail records a failed pull for key now, remembering its reason and message
// for the waiting message, and returns the new window.
func (b *Backoff) Fail(key, reason, message string) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.nextLocked(key, b.clock.Now())
	e.LastReason, e.LastMessage = reason, message
	return e.Backoff
}

// Last returns the reason and message given to the last Fail for key.
func (b *Backoff) Last(key string) (reason, message string, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	e, ok := b.entries[key]
	if !ok {
		return "", "", false
	}
	return e.LastReason, e.LastMessage, true
}

// Get returns the current window for key, 0 when there is no entry. Like the
// kubelet's, it does not check expiry.
func (b *Backoff) Get(key string) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if e, ok := b.entries[key]; ok {
		return e.Backoff
	}
	return 0
}

// IsInBackOffSinceUpdate reports whether eventTime (normally now) lies
// inside key's window: eventTime - lastFailure < window, and the entry has
// not expired. This is the kubelet image manager's check.
func (b *Backoff) IsInBackOffSinceUpdate(key string, eventTime time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.live(key, eventTime)
	return e != nil && eventTime.Sub(e.LastUpdate) < e.Backoff
}

// IsInBackOffSince is IsInBackOffSinceUpdate: true while eventTime -
// lastFailure < window. (client-go's method of this name measures from
// eventTime instead; that variant is CrashLoop.InBackOff.)
func (b *Backoff) IsInBackOffSince(key string, eventTime time.Time) bool {
	return b.IsInBackOffSinceUpdate(key, eventTime)
}

// InBackOff reports whether key is inside its window now.
func (b *Backoff) InBackOff(key string) bool {
	return b.IsInBackOffSinceUpdate(key, b.clock.Now())
}

// RetryAt returns when key's window ends (last failure + window). ok is
// false when key has no live entry.
func (b *Backoff) RetryAt(key string) (at time.Time, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.live(key, b.clock.Now())
	if e == nil {
		return time.Time{}, false
	}
	return e.LastUpdate.Add(e.Backoff), true
}

// Reset forgets key: the next failure starts at Initial. The kubelet never
// does this; pullwarden's improved mode does when the cause is fixed.
func (b *Backoff) Reset(key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.entries, key)
}

// ResetPrefix forgets every key starting with prefix (for example
// podUID + "_" when a pod is deleted).
func (b *Backoff) ResetPrefix(prefix string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for k := range b.entries {
		if strings.HasPrefix(k, prefix) {
			delete(b.entries, k)
		}
	}
}

// GC deletes every entry whose last failure is more than Expiry old.
func (b *Backoff) GC() {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.clock.Now()
	for k, e := range b.entries {
		if b.expired(now, e.LastUpdate) {
			delete(b.entries, k)
		}
	}
}

// Len returns the number of entries, expired ones included until GC.
func (b *Backoff) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.entries)
}

// Snapshot returns a copy of every entry, sorted by key.
func (b *Backoff) Snapshot() []Entry {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]Entry, 0, len(b.entries))
	for _, e := range b.entries {
		out = append(out, *e)
	}
	slices.SortFunc(out, func(x, y Entry) int { return strings.Compare(x.Key, y.Key) })
	return out
}

// Restore replaces the state with entries (as returned by Snapshot). Entries
// with an empty key or a non-positive window are skipped; a window above Max
// is capped.
func (b *Backoff) Restore(entries []Entry) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.entries = make(map[string]*Entry, len(entries))
	for _, e := range entries {
		if e.Key == "" || e.Backoff <= 0 {
			continue
		}
		e.Backoff = min(e.Backoff, b.policy.Max)
		b.entries[e.Key] = &e
	}
}

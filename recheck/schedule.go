package recheck

import (
	"context"
	"sort"
	"sync"
	"time"
)

// Schedule says when each key (an image and credential, or a registry
// host for the probe) is due for its next check, for all the waiters on
// that key at once. It is safe for concurrent use.
type Schedule[K comparable] struct {
	opts Options

	mu   sync.Mutex
	keys map[K]*entry
	wake chan struct{} // buffered(1): Run re-reads the deadlines
}

type entry struct {
	waiters map[string]bool
	n       int       // checks since Register (-1 after Reset: one extra check)
	due     time.Time // next check
	running bool      // a check is in progress (Run)
	reset   bool      // Reset during the running check
}

// New returns an empty Schedule.
func New[K comparable](opts Options) *Schedule[K] {
	return &Schedule[K]{opts: opts.withDefaults(), keys: map[K]*entry{}, wake: make(chan struct{}, 1)}
}

func (s *Schedule[K]) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Register adds waiter (a pod UID, say) to key. The first waiter of a key
// schedules its first check one jittered Initial from now; later waiters
// share that schedule. It reports whether the key was new.
func (s *Schedule[K]) Register(key K, waiter string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.keys[key]
	if !ok {
		e = &entry{waiters: map[string]bool{}, due: s.opts.Clock.Now().Add(s.opts.jittered(s.opts.Initial))}
		s.keys[key] = e
		s.poke()
	}
	e.waiters[waiter] = true
	return !ok
}

// Unregister removes waiter from key; the key is dropped with its last
// waiter. It reports whether the key is gone.
func (s *Schedule[K]) Unregister(key K, waiter string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.keys[key]
	if !ok {
		return true
	}
	delete(e.waiters, waiter)
	if len(e.waiters) == 0 {
		delete(s.keys, key)
		return true
	}
	return false
}

// Waiters returns key's waiters, sorted.
func (s *Schedule[K]) Waiters(key K) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.keys[key]
	if !ok {
		return nil
	}
	out := make([]string, 0, len(e.waiters))
	for w := range e.waiters {
		out = append(out, w)
	}
	sort.Strings(out)
	return out
}

// Due reports whether key's check is due now, and when it is (or was)
// due. An unknown key is not due.
func (s *Schedule[K]) Due(key K) (bool, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.keys[key]
	if !ok {
		return false, time.Time{}
	}
	return !e.due.After(s.opts.Clock.Now()), e.due
}

// Checked records a check of key that did not end the wait: the next one
// is due one jittered, grown interval from now (Interval(n), n the checks
// since Register or Reset). It returns that time.
func (s *Schedule[K]) Checked(key K) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.keys[key]
	if !ok {
		return time.Time{}
	}
	s.checkedLocked(e)
	return e.due
}

func (s *Schedule[K]) checkedLocked(e *entry) {
	e.n++
	e.due = s.opts.Clock.Now().Add(s.opts.jittered(s.opts.Interval(e.n)))
}

// Reset makes key due now, then Initial after that check, growing again
// from there: a
// trigger (a secret changed, a push announced, `retry pod`) says the
// cause may be fixed. A check running under Run is followed at once by
// another, since it may have raced the fix.
func (s *Schedule[K]) Reset(key K) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.keys[key]
	if !ok {
		return
	}
	// The check due now is an extra one: the next comes Initial after it.
	e.n, e.due = -1, s.opts.Clock.Now()
	if e.running {
		e.reset = true
	}
	s.poke()
}

// Run calls check for each key when it is due, with the key's waiters at
// that moment, until ctx ends. Checks of different keys run concurrently
// (each in its own goroutine); a key is never checked twice at once.
// After a check returns, the key's next check is scheduled as by Checked,
// unless its waiters are gone (drop them with Unregister when the image
// is pulled) or it was Reset meanwhile (then it runs again at once).
func (s *Schedule[K]) Run(ctx context.Context, check func(ctx context.Context, key K, waiters []string)) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		due, wait := s.collect()
		for _, k := range due {
			wg.Add(1)
			go func() {
				defer wg.Done()
				check(ctx, k, s.Waiters(k))
				s.finish(k)
			}()
		}
		if err := s.sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// sleep waits d (0: until woken) or until Register, Reset or a finished
// check wakes it, or ctx ends.
func (s *Schedule[K]) sleep(ctx context.Context, d time.Duration) error {
	var timerC <-chan time.Time
	if d > 0 {
		t := s.opts.Clock.NewTimer(d)
		defer t.Stop()
		timerC = t.C()
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-s.wake:
	case <-timerC:
	}
	return nil
}

// collect marks the due keys running and returns them, with the time
// until the next key not running is due (0: none).
func (s *Schedule[K]) collect() ([]K, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Clock.Now()
	var due []K
	var next time.Time
	for k, e := range s.keys {
		if e.running {
			continue
		}
		if !e.due.After(now) {
			e.running = true
			due = append(due, k)
			continue
		}
		if next.IsZero() || e.due.Before(next) {
			next = e.due
		}
	}
	if next.IsZero() {
		return due, 0
	}
	return due, next.Sub(now)
}

// finish ends a check run by Run.
func (s *Schedule[K]) finish(k K) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.poke()
	e, ok := s.keys[k]
	if !ok {
		return
	}
	e.running = false
	if e.reset {
		e.reset = false
		return // due now, intervals restarted by Reset
	}
	s.checkedLocked(e)
}

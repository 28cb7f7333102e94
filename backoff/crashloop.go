package backoff

import (
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/pullwarden/pullwarden/clock"
)

// CrashLoop is the kubelet's container restart backoff, measured from the
// time the container last exited.
type CrashLoop struct {
	b *Backoff
}

// NewCrashLoop returns the kubelet's crash-loop backoff (policy CrashLoopPolicy).
func NewCrashLoop(c clock.PassiveClock) *CrashLoop {
	return &CrashLoop{b: New(CrashLoopPolicy, c)}
}

// CrashLoopKey identifies one container of one pod incarnation. Like the
// kubelet's key it changes (and so restarts the backoff) when the container's
// image changes: an FNV-64a hash, in hex, of name/namespace/uid/container/image.
func CrashLoopKey(podName, namespace, podUID, container, image string) string {
	h := fnv.New64a()
	h.Write([]byte(strings.Join([]string{podName, namespace, podUID, container, image}, "/")))
	return strconv.FormatUint(h.Sum64(), 16)
}

// InBackOff reports whether a container that exited at finishedAt must still
// wait: now - finishedAt < window, unless the entry expired (the container
// ran for more than 10 minutes since the last restart decision).
func (c *CrashLoop) InBackOff(key string, finishedAt time.Time) bool {
	b := c.b
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.live(key, finishedAt)
	return e != nil && b.clock.Since(finishedAt) < e.Backoff
}

// Next records the decision to restart a container that exited at
// finishedAt and returns the window the next exit will have to wait.
func (c *CrashLoop) Next(key string, finishedAt time.Time) time.Duration {
	return c.b.Next(key, finishedAt)
}

// Get returns the current window for key (shown in the waiting message).
func (c *CrashLoop) Get(key string) time.Duration { return c.b.Get(key) }

// RetryAt returns when a container that exited at finishedAt may restart.
func (c *CrashLoop) RetryAt(key string, finishedAt time.Time) time.Time {
	return finishedAt.Add(c.b.Get(key))
}

// Reset forgets key.
func (c *CrashLoop) Reset(key string) { c.b.Reset(key) }

// GC deletes entries not updated for more than 10 minutes.
func (c *CrashLoop) GC() { c.b.GC() }

// Snapshot returns the saved state, sorted by key.
func (c *CrashLoop) Snapshot() []Entry { return c.b.Snapshot() }

// Restore replaces the state with saved entries.
func (c *CrashLoop) Restore(entries []Entry) { c.b.Restore(entries) }

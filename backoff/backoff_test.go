package backoff_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/pullwarden/pullwarden/backoff"
	"github.com/pullwarden/pullwarden/clock"
)

var epoch = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

const s = time.Second

func TestKey(t *testing.T) {
	t.Parallel()
	if got := backoff.Key("6f1c-uid", "nginx:1.27"); got != "6f1c-uid_nginx:1.27" {
		t.Fatalf("Key = %q", got)
	}
	// The image is used as written: no normalisation.
	if backoff.Key("u", "nginx") == backoff.Key("u", "docker.io/library/nginx:latest") {
		t.Fatal("keys must use the image as written")
	}
}

// TestImagePullSequence steps the fake clock through the kubelet's windows:
// each failure recorded at the moment its window ended.
func TestImagePullSequence(t *testing.T) {
	t.Parallel()
	c := clock.NewFake(epoch)
	b := backoff.NewImagePull(c)
	key := backoff.Key("uid", "app:missing")

	if b.InBackOff(key) {
		t.Fatal("fresh key must not be in backoff")
	}
	want := []time.Duration{10 * s, 20 * s, 40 * s, 80 * s, 160 * s, 300 * s, 300 * s, 300 * s}
	for i, w := range want {
		if got := b.Next(key, c.Now()); got != w {
			t.Fatalf("failure %d: window %v, want %v", i+1, got, w)
		}
		if got := b.Get(key); got != w {
			t.Fatalf("failure %d: Get %v, want %v", i+1, got, w)
		}
		at, ok := b.RetryAt(key)
		if !ok || !at.Equal(c.Now().Add(w)) {
			t.Fatalf("failure %d: RetryAt %v %v", i+1, at, ok)
		}
		if !b.InBackOff(key) {
			t.Fatalf("failure %d: not in backoff right after failing", i+1)
		}
		c.Step(w - time.Millisecond)
		if !b.InBackOff(key) || !b.IsInBackOffSince(key, c.Now()) {
			t.Fatalf("failure %d: window ended 1ms early", i+1)
		}
		c.Step(time.Millisecond)
		if b.InBackOff(key) || b.IsInBackOffSinceUpdate(key, c.Now()) {
			t.Fatalf("failure %d: still in backoff at window end (%v)", i+1, w)
		}
	}
}

func TestImagePullExpiry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		quiet      time.Duration // time between the 300 s failure and the next one
		wantWindow time.Duration
	}{
		{"within 2x max keeps the cap", 600 * s, 300 * s},
		{"past 2x max restarts at 10s", 600*s + time.Nanosecond, 10 * s},
		{"long after", time.Hour, 10 * s},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := clock.NewFake(epoch)
			b := backoff.NewImagePull(c)
			key := backoff.Key("uid", "img")
			for range 6 {
				b.Next(key, c.Now())
			}
			if b.Get(key) != 300*s {
				t.Fatalf("setup: window %v", b.Get(key))
			}
			c.Step(tc.quiet)
			if b.InBackOff(key) {
				t.Fatal("in backoff after the window")
			}
			if got := b.Next(key, c.Now()); got != tc.wantWindow {
				t.Fatalf("window after %v quiet = %v, want %v", tc.quiet, got, tc.wantWindow)
			}
		})
	}
}

func TestGCDropsOnlyExpired(t *testing.T) {
	t.Parallel()
	c := clock.NewFake(epoch)
	b := backoff.NewImagePull(c)
	b.Next("old", c.Now())
	c.Step(300 * s)
	b.Next("recent", c.Now())
	c.Step(300*s + time.Nanosecond) // "old" is 600 s + 1 ns old, "recent" 300 s
	b.GC()
	snap := b.Snapshot()
	if len(snap) != 1 || snap[0].Key != "recent" {
		t.Fatalf("after GC: %+v", snap)
	}
}

func TestResetAndFail(t *testing.T) {
	t.Parallel()
	c := clock.NewFake(epoch)
	b := backoff.NewImagePull(c)
	key := backoff.Key("uid", "img")
	b.Fail(key, "ErrImagePull", "not found")
	if got := b.Fail(key, "ErrImagePull", "unauthorized"); got != 20*s {
		t.Fatalf("second Fail window %v", got)
	}
	r, m, ok := b.Last(key)
	if !ok || r != "ErrImagePull" || m != "unauthorized" {
		t.Fatalf("Last = %q %q %v", r, m, ok)
	}
	b.Reset(key)
	if b.InBackOff(key) {
		t.Fatal("in backoff after Reset")
	}
	if _, _, ok := b.Last(key); ok {
		t.Fatal("Last after Reset")
	}
	if got := b.Next(key, c.Now()); got != 10*s {
		t.Fatalf("window after Reset %v, want 10s", got)
	}
	b.Next(backoff.Key("uid", "other"), c.Now())
	b.Next(backoff.Key("uid2", "img"), c.Now())
	b.ResetPrefix("uid_")
	if b.Len() != 1 || b.Snapshot()[0].Key != "uid2_img" {
		t.Fatalf("ResetPrefix left %+v", b.Snapshot())
	}
}

// TestSnapshotRestore saves the state as JSON (as the agent does in bbolt)
// and continues in a new Backoff as if the agent had restarted.
func TestSnapshotRestore(t *testing.T) {
	t.Parallel()
	c := clock.NewFake(epoch)
	b := backoff.NewImagePull(c)
	key := backoff.Key("uid", "img")
	b.Next(key, c.Now())
	b.Next(key, c.Now())
	b.Fail(key, "ErrImagePull", "boom") // 40 s
	c.Step(15 * s)

	raw, err := json.Marshal(b.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	var saved []backoff.Entry
	if err := json.Unmarshal(raw, &saved); err != nil {
		t.Fatal(err)
	}
	restored := backoff.NewImagePull(c)
	restored.Restore(saved)

	if !restored.InBackOff(key) {
		t.Fatal("restored entry lost its window")
	}
	if r, m, _ := restored.Last(key); r != "ErrImagePull" || m != "boom" {
		t.Fatalf("restored Last = %q %q", r, m)
	}
	c.Step(25 * s) // 40 s after the failure
	if restored.InBackOff(key) {
		t.Fatal("restored window did not end at 40 s")
	}
	if got := restored.Next(key, c.Now()); got != 80*s {
		t.Fatalf("restored doubling: %v, want 80s", got)
	}

	restored.Restore([]backoff.Entry{{Key: "", Backoff: s}, {Key: "neg", Backoff: -1}, {Key: "big", Backoff: time.Hour, LastUpdate: c.Now()}})
	if snap := restored.Snapshot(); len(snap) != 1 || snap[0].Backoff != 300*s {
		t.Fatalf("Restore validation: %+v", snap)
	}
}

func TestEntryJSONShape(t *testing.T) {
	t.Parallel()
	raw, err := json.Marshal(backoff.Entry{Key: "u_i", Backoff: 10 * s, LastUpdate: epoch})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"key":"u_i","backoff":10000000000,"lastUpdate":"2025-06-01T12:00:00Z"}`
	if string(raw) != want {
		t.Fatalf("JSON %s, want %s", raw, want)
	}
}

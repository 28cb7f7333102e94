package backoff_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/pullwarden/pullwarden/backoff"
	"github.com/pullwarden/pullwarden/clock"
)

// TestConcurrentUse is meant for -race: pulls for many pods fail, check and
// snapshot at once.
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	c := clock.NewFake(epoch)
	b := backoff.NewImagePull(c)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			key := backoff.Key(fmt.Sprint("pod", i), "img")
			for range 50 {
				b.Fail(key, "ErrImagePull", "x")
				b.InBackOff(key)
				b.Snapshot()
				b.GC()
			}
		})
	}
	wg.Wait()
	snap := b.Snapshot()
	if len(snap) != 8 {
		t.Fatalf("%d entries, want 8", len(snap))
	}
	for _, e := range snap {
		if e.Backoff != backoff.ImagePullPolicy.Max {
			t.Fatalf("%s: %v after 50 failures, want the cap", e.Key, e.Backoff)
		}
	}
}

package pull

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pullwarden/pullwarden/internal/faultproxy"
	"github.com/pullwarden/pullwarden/internal/testimage"
	"github.com/pullwarden/pullwarden/internal/testregistry"
	"github.com/pullwarden/pullwarden/registry"
	"github.com/pullwarden/pullwarden/store/ocilayout"
	"github.com/pullwarden/pullwarden/throttle"
)

// TestRateLimitSharedByAllPods: behind a registry that answers one 429
// with Retry-After: 1, 50 pods on 5 images through the node's throttle
// send no request before the second has passed, and all pull. (The
// smart policy's own hold of RateLimited is TestSmartRateLimitedWaitsRetryAfter.)
func TestRateLimitSharedByAllPods(t *testing.T) {
	t.Parallel()
	reg := testregistry.StartInProcess(t)
	proxy, err := faultproxy.New(reg.URL)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var limitedAt time.Time
	var early int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		switch {
		case limitedAt.IsZero() && strings.Contains(r.URL.Path, "/manifests/"):
			limitedAt = time.Now()
			mu.Unlock()
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		case !limitedAt.IsZero() && time.Since(limitedAt) < time.Second:
			early++
		}
		mu.Unlock()
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	for i := range 5 {
		testimage.Push(t, testimage.Random(t, 1, 4<<10), reg.Ref(fmt.Sprintf("app/%d:1", i)), nil)
	}
	s, err := ocilayout.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	thr := throttle.New(throttle.Options{})
	pl := New(s, registry.New(registry.Options{Transport: thr.Transport(registry.DefaultTransport())}))
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := range 50 {
		if i == 1 {
			// The others start once the 429 has been answered (requests
			// already on the wire when it came cannot be held back).
			waitFor(t, "the 429", func() bool { mu.Lock(); defer mu.Unlock(); return !limitedAt.IsZero() })
			time.Sleep(50 * time.Millisecond)
		}
		wg.Go(func() {
			image := fmt.Sprintf("%s/app/%d:1", host, i%5)
			uid := fmt.Sprintf("pod-%d", i)
			if _, err := pl.Ensure(t.Context(), EnsureRequest{Image: image, BackoffKey: uid + "_" + image, Waiter: uid}); err != nil {
				errs <- fmt.Errorf("pod %d: %w", i, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if limitedAt.IsZero() {
		t.Fatal("the registry never answered 429")
	}
	if early > 0 {
		t.Fatalf("%d requests reached the registry before its Retry-After had passed", early)
	}
}

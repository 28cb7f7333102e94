package pull

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pullwarden/pullwarden/cause"
	"github.com/pullwarden/pullwarden/internal/faultproxy"
	"github.com/pullwarden/pullwarden/policy"
	"github.com/pullwarden/pullwarden/reference"
)

func fullName(t *testing.T, image string) string {
	t.Helper()
	ref, err := reference.Parse(image)
	if err != nil {
		t.Fatal(err)
	}
	return ref.String()
}

// callers returns how many callers wait on the transfer of image.
func (p *Puller) callers(image string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for k, f := range p.inflight {
		if len(k) > len(image) && k[:len(image)] == image {
			n += f.callers
		}
	}
	return n
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestCanceledCallerLeavesSharedTransfer: pod A and pod B wait on one
// transfer; A goes away (its context ends) while a blob is stalled. B must
// still get the image, not A's cancellation.
func TestCanceledCallerLeavesSharedTransfer(t *testing.T) {
	t.Parallel()
	pl, proxy, image := setup(t)
	stalled := make(chan struct{}, 1)
	proxy.Add(faultproxy.Rule{Method: "GET", Path: "/blobs/", Times: 1, Fault: faultproxy.Fault{Kind: faultproxy.Stall, N: 100, Notify: stalled}})

	ctxA, cancelA := context.WithCancel(t.Context())
	errA := make(chan error, 1)
	go func() {
		_, err := pl.Pull(ctxA, Request{Image: image, Policy: policy.Always})
		errA <- err
	}()
	<-stalled
	type out struct {
		res Result
		err error
	}
	outB := make(chan out, 1)
	go func() {
		r, err := pl.Pull(t.Context(), Request{Image: image, Policy: policy.Always})
		outB <- out{r, err}
	}()
	waitFor(t, "B to join A's transfer", func() bool { return pl.callers(fullName(t, image)) == 2 })

	cancelA()
	if err := <-errA; !errors.Is(err, cause.Canceled) {
		t.Fatalf("A: %v, want Canceled", err)
	}
	proxy.Close() // end the stall: the transfer resumes for B
	b := <-outB
	if b.err != nil {
		t.Fatalf("B failed after A left: %v", b.err)
	}
	if !b.res.Pulled || b.res.Size == 0 {
		t.Fatalf("B: %+v", b.res)
	}
}

// TestLastCallerLeavingStopsTransfer: when every caller has gone, the
// transfer is canceled and no longer listed; a new caller starts afresh.
func TestLastCallerLeavingStopsTransfer(t *testing.T) {
	t.Parallel()
	pl, proxy, image := setup(t)
	stalled := make(chan struct{}, 1)
	proxy.Add(faultproxy.Rule{Method: "GET", Path: "/blobs/", Times: 1, Fault: faultproxy.Fault{Kind: faultproxy.Stall, N: 100, Notify: stalled}})
	ctx, cancel := context.WithCancel(t.Context())
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := pl.Pull(ctx, Request{Image: image, Policy: policy.Always})
			errs <- err
		}()
	}
	<-stalled
	name := fullName(t, image)
	waitFor(t, "both callers to join", func() bool { return pl.callers(name) == 2 })
	pl.mu.Lock()
	var f *flight
	for _, fl := range pl.inflight {
		f = fl
	}
	pl.mu.Unlock()
	cancel()
	for range 2 {
		if err := <-errs; !errors.Is(err, cause.Canceled) {
			t.Fatalf("caller: %v, want Canceled", err)
		}
	}
	// The stalled request is still held by the proxy: only the transfer's
	// own cancellation can end it.
	select {
	case <-f.done:
	case <-time.After(10 * time.Second):
		t.Fatal("the transfer still runs after every caller left")
	}
	if !errors.Is(f.err, cause.Canceled) && !errors.Is(f.err, context.Canceled) {
		t.Fatalf("transfer ended with %v, want a cancellation", f.err)
	}
	proxy.Reset()
	if _, err := pl.Pull(t.Context(), Request{Image: image, Policy: policy.Always}); err != nil {
		t.Fatalf("a new caller after the others left: %v", err)
	}
}

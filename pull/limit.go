package pull

import (
	"context"
	"fmt"
)

// PullConcurrency turns the kubelet's serializeImagePulls and
// maxParallelImagePulls into the number of transfers that may run at once
// on the node (0: no limit), with the kubelet's validation:
// serializeImagePulls true (the kubelet's default) means one at a time;
// false with maxParallelImagePulls nil (the default) means no limit;
// maxParallelImagePulls must be at least 1, and above 1 only with
// serializeImagePulls false.
func PullConcurrency(serialize bool, maxParallel *int32) (int, error) {
	if maxParallel != nil {
		if *maxParallel < 1 {
			return 0, fmt.Errorf("invalid configuration: maxParallelImagePulls %d must be a positive number", *maxParallel)
		}
		if serialize && *maxParallel > 1 {
			return 0, fmt.Errorf("invalid configuration: maxParallelImagePulls (--max-parallel-image-pulls) %d cannot be larger than 1 unless serializeImagePulls (--serialize-image-pulls) is false", *maxParallel)
		}
		return int(*maxParallel), nil
	}
	if serialize {
		return 1, nil
	}
	return 0, nil
}

// WithMaxParallelPulls limits how many transfers run at once in this
// Puller (the node): n = 1 is the kubelet's serializeImagePulls, n > 1 its
// maxParallelImagePulls, n <= 0 (the default) no limit. Callers waiting on
// a transfer another caller started do not take a slot; the wait for a
// slot counts as waiting in Result.Waited.
func WithMaxParallelPulls(n int) Option {
	return func(p *Puller) {
		p.slots = nil
		if n > 0 {
			p.slots = make(chan struct{}, n)
		}
	}
}

// acquire takes a transfer slot, waiting as long as ctx allows; release
// gives it back. Without a limit both do nothing.
func (p *Puller) acquire(ctx context.Context) (release func(), err error) {
	if p.slots == nil {
		return func() {}, nil
	}
	select {
	case p.slots <- struct{}{}:
		return func() { <-p.slots }, nil
	default:
	}
	p.queued.Add(1)
	defer p.queued.Add(-1)
	select {
	case p.slots <- struct{}{}:
		return func() { <-p.slots }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

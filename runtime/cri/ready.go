package cri

import (
	"context"
	"errors"
	"fmt"
	"time"

	criv1 "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// readyPoll is how often Dial asks a CRI that is not ready yet.
const readyPoll = 100 * time.Millisecond

// Dial connects to the CRI endpoint at address like New, but waits for it:
// a containerd that has just started accepts connections on its socket
// before its CRI plugin serves (Version answers "unknown service") and
// before the runtime reports RuntimeReady. Dial retries until both hold or
// ctx ends, and then returns the last error seen, so give ctx a deadline.
func Dial(ctx context.Context, address string, opts ...Option) (*Runtime, error) {
	var last error
	for {
		r, err := New(ctx, address, opts...)
		if err == nil {
			if err = r.runtimeReady(ctx); err == nil {
				return r, nil
			}
			r.Close()
		}
		last = err
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("CRI at %s not ready: %w (waited until: %v)", address, last, ctx.Err())
		case <-time.After(readyPoll):
		}
	}
}

// runtimeReady checks the RuntimeReady condition of the CRI status. (The
// NetworkReady condition is false without CNI, which host-network pods do
// not need.)
func (r *Runtime) runtimeReady(ctx context.Context) error {
	st, err := r.rt.Status(ctx, &criv1.StatusRequest{})
	if err != nil {
		return fmt.Errorf("CRI status: %w", err)
	}
	for _, c := range st.GetStatus().GetConditions() {
		if c.Type == criv1.RuntimeReady {
			if c.Status {
				return nil
			}
			return fmt.Errorf("runtime not ready: %s: %s", c.Reason, c.Message)
		}
	}
	return errors.New("runtime reports no RuntimeReady condition")
}

package pod

import (
	"context"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// worker syncs one pod. Only its own goroutine touches state.
type worker struct {
	m      *Manager
	mu     sync.Mutex
	pod    *corev1.Pod
	wake   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}
	state  podState
}

func newWorker(m *Manager, p *corev1.Pod) *worker {
	return &worker{
		m:    m,
		pod:  p.DeepCopy(),
		wake: make(chan struct{}, 1),
		done: make(chan struct{}),
		state: podState{
			containers: map[string]*ctr{},
		},
	}
}

func (w *worker) update(p *corev1.Pod) {
	w.mu.Lock()
	w.pod = p.DeepCopy()
	w.mu.Unlock()
	w.poke()
}

// setDeletionGrace records the grace period a deletion asked for; the
// teardown that follows reads it through gracePeriod.
func (w *worker) setDeletionGrace(seconds int64) {
	w.mu.Lock()
	w.pod.DeletionGracePeriodSeconds = &seconds
	w.mu.Unlock()
}

func (w *worker) current() *corev1.Pod {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.pod.DeepCopy()
}

func (w *worker) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *worker) run(parent context.Context) {
	ctx, cancel := context.WithCancel(parent)
	w.mu.Lock()
	w.cancel = cancel
	w.mu.Unlock()
	defer close(w.done)
	for {
		delay := w.m.sync(ctx, w)
		if !w.wait(ctx, delay) {
			return
		}
	}
}

// wait blocks until a poke, the delay (0: no timer) or the end of ctx, and
// reports whether to go on.
func (w *worker) wait(ctx context.Context, delay time.Duration) bool {
	var timeout <-chan time.Time
	if delay > 0 {
		t := w.m.cfg.Clock.NewTimer(delay)
		defer t.Stop()
		timeout = t.C()
	}
	select {
	case <-ctx.Done():
		return false
	case <-w.wake:
	case <-timeout:
	}
	return true
}

func (w *worker) stop() {
	w.mu.Lock()
	cancel := w.cancel
	w.mu.Unlock()
	if cancel != nil {
		cancel()
		<-w.done
	}
}

package agent

import (
	"context"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/pullwarden/pullwarden/event"
	"github.com/pullwarden/pullwarden/manifest"
	"github.com/pullwarden/pullwarden/objects"
)

// recordingPods records what the watcher asks of the pod manager.
type recordingPods struct {
	mu      sync.Mutex
	updated []string
	removed []types.UID
}

func (r *recordingPods) Update(_ context.Context, p *corev1.Pod) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.updated = append(r.updated, p.Name)
}

func (r *recordingPods) RemovePod(_ context.Context, uid types.UID, _ *corev1.Pod) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.removed = append(r.removed, uid)
}

func (r *recordingPods) removedUIDs() []types.UID {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.removed)
}

func testPod(name string) *corev1.Pod {
	return &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "127.0.0.1:5000/app:1"}}},
	}
}

// A pod deleted while the watch was closed is removed when the watcher
// lists again (informer semantics), not left running forever.
func TestWatcherRemovesPodsDeletedWhileNotWatching(t *testing.T) {
	ctx := t.Context()
	s, err := objects.Open(filepath.Join(t.TempDir(), "state.db"), objects.WithNodeName("node1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Apply(ctx, testPod("keep"), testPod("gone")); err != nil {
		t.Fatal(err)
	}
	gone, err := objects.GetAs[*corev1.Pod](ctx, s, "default", "gone")
	if err != nil {
		t.Fatal(err)
	}
	pods := &recordingPods{}
	// Each watch ends when ctx ends or the test closes its break channel.
	watches := make(chan chan struct{}, 4)
	w := &podWatcher{
		objects: s, pods: pods, node: "node1",
		scheduler: event.NewRecorder(event.Options{Sink: event.NewMemory(), Component: "default-scheduler"}),
		remove:    func(uid types.UID, deleted *corev1.Pod) { pods.RemovePod(ctx, uid, deleted) },
		watch: func(ctx context.Context, _ string) (<-chan objects.Event, error) {
			out, brk := make(chan objects.Event), make(chan struct{})
			go func() {
				defer close(out)
				select {
				case <-ctx.Done():
				case <-brk:
				}
			}()
			watches <- brk
			return out, nil
		},
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.run(runCtx) }()
	first := <-watches
	// The watch breaks; the pod is deleted before the next one opens.
	if _, err := s.Delete(ctx, manifest.Pod, "default", "gone"); err != nil {
		t.Fatal(err)
	}
	close(first)
	<-watches
	cancel()
	if err := <-done; err != context.Canceled {
		t.Fatalf("run: %v", err)
	}
	if got := pods.removedUIDs(); !slices.Equal(got, []types.UID{gone.UID}) {
		t.Fatalf("removed %v, want [%s] (the pod deleted between two watches)", got, gone.UID)
	}
	pods.mu.Lock()
	defer pods.mu.Unlock()
	slices.Sort(pods.updated)
	if !slices.Equal(pods.updated, []string{"gone", "keep"}) {
		t.Fatalf("updated %v: a relist must not hand unchanged pods to the manager again", pods.updated)
	}
}

// A pod deleted right before the end, its event not yet handled when ctx
// ends, is removed all the same before run returns.
func TestWatcherRemovesPodsDeletedAtTheEnd(t *testing.T) {
	ctx := t.Context()
	s, err := objects.Open(filepath.Join(t.TempDir(), "state.db"), objects.WithNodeName("node1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Apply(ctx, testPod("late")); err != nil {
		t.Fatal(err)
	}
	late, err := objects.GetAs[*corev1.Pod](ctx, s, "default", "late")
	if err != nil {
		t.Fatal(err)
	}
	pods := &recordingPods{}
	opened := make(chan struct{}, 1)
	w := &podWatcher{
		objects: s, pods: pods, node: "node1",
		scheduler: event.NewRecorder(event.Options{Sink: event.NewMemory(), Component: "default-scheduler"}),
		remove:    func(uid types.UID, deleted *corev1.Pod) { pods.RemovePod(ctx, uid, deleted) },
		// A watch that never delivers: the delete event is lost with it.
		watch: func(ctx context.Context, _ string) (<-chan objects.Event, error) {
			out := make(chan objects.Event)
			go func() { <-ctx.Done(); close(out) }()
			opened <- struct{}{}
			return out, nil
		},
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.run(runCtx) }()
	<-opened
	if _, err := s.Delete(ctx, manifest.Pod, "default", "late"); err != nil {
		t.Fatal(err)
	}
	cancel()
	<-done
	if got := pods.removedUIDs(); !slices.Equal(got, []types.UID{late.UID}) {
		t.Fatalf("removed %v, want [%s]", got, late.UID)
	}
}

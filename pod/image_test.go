package pod

import (
	"context"
	"sync/atomic"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/pullwarden/pullwarden/store"
)

// countingStore counts the presence lookups: image records read and blob
// stats.
type countingStore struct {
	store.Store
	images, infos atomic.Int64
}

func (c *countingStore) Image(ctx context.Context, name string) (store.Image, error) {
	c.images.Add(1)
	return c.Store.Image(ctx, name)
}

func (c *countingStore) Info(ctx context.Context, dgst v1.Hash) (store.Info, error) {
	c.infos.Add(1)
	return c.Store.Info(ctx, dgst)
}

// TestPresenceCheckedOncePerContainer: the image manager step looks the
// image up once per container start (one record read, one stat per blob),
// not once in pod and again in pull.
func TestPresenceCheckedOncePerContainer(t *testing.T) {
	f := newFixture(t)
	cs := &countingStore{}
	f.wrap = func(s store.Store) store.Store { cs.Store = s; return cs }
	f.m = f.newManager()
	image := f.push("app/count:v1") // 1 layer: manifest, config, layer

	w := newWorker(f.m, newPod("a", corev1.Container{Name: "c", Image: image, ImagePullPolicy: corev1.PullIfNotPresent, Command: []string{"sleep"}}))
	cs.images.Store(0)
	if st, _ := f.sync(w); st.Phase != corev1.PodRunning {
		t.Fatalf("first pod: phase %s", st.Phase)
	}
	if n := cs.images.Load(); n != 1 {
		t.Errorf("absent image: %d image record reads before and after the pull, want 1", n)
	}

	w = newWorker(f.m, newPod("b", corev1.Container{Name: "c", Image: image, ImagePullPolicy: corev1.PullIfNotPresent, Command: []string{"sleep"}}))
	cs.images.Store(0)
	cs.infos.Store(0)
	if st, _ := f.sync(w); st.Phase != corev1.PodRunning {
		t.Fatalf("second pod: phase %s", st.Phase)
	}
	if n := cs.images.Load(); n != 1 {
		t.Errorf("present image: %d image record reads, want 1", n)
	}
	if n := cs.infos.Load(); n != 3 {
		t.Errorf("present image: %d blob stats, want 3 (one per blob)", n)
	}
}

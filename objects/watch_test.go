package objects

import (
	"context"
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/pullwarden/pullwarden/manifest"
)

var bgctx = context.Background()

func next(t *testing.T, ch <-chan Event) Event {
	t.Helper()
	e, ok := <-ch
	if !ok {
		t.Fatal("watch channel closed")
	}
	return e
}

func TestWatch(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	s := open(t, filepath.Join(t.TempDir(), "db"))
	start, _ := s.ResourceVersion()
	if err := s.Create(ctx, newPod("default", "old", "a")); err != nil {
		t.Fatal(err)
	}
	all, err := s.Watch(ctx, manifest.Pod, "")
	if err != nil {
		t.Fatal(err)
	}
	if e := next(t, all); e.Type != watch.Added || e.Object.GetName() != "old" {
		t.Fatalf("initial event %s %s", e.Type, e.Object.GetName())
	}
	_, rvAfterOld, _ := s.List(ctx, manifest.Pod, "")
	inDefault, _ := s.Watch(ctx, manifest.Pod, "default", FromResourceVersion(rvAfterOld))

	if err := s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "other"}}); err != nil {
		t.Fatal(err)
	}
	p := newPod("default", "new", "a")
	if err := s.Create(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := s.Create(ctx, newPod("other", "elsewhere", "a")); err != nil {
		t.Fatal(err)
	}
	p.Status.Phase = corev1.PodRunning
	if err := s.UpdateStatus(ctx, p); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Delete(ctx, manifest.Pod, "default", "new"); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		t    watch.EventType
		name string
	}{{watch.Added, "new"}, {watch.Added, "elsewhere"}, {watch.Modified, "new"}, {watch.Deleted, "new"}}
	for _, w := range want {
		e := next(t, all)
		if e.Type != w.t || e.Object.GetName() != w.name {
			t.Errorf("all namespaces: got %s %s, want %s %s", e.Type, e.Object.GetName(), w.t, w.name)
		}
	}
	for _, w := range []watch.EventType{watch.Added, watch.Modified, watch.Deleted} {
		e := next(t, inDefault)
		if e.Type != w || e.Object.GetNamespace() != "default" {
			t.Errorf("default namespace: got %s %s/%s, want %s", e.Type, e.Object.GetNamespace(), e.Object.GetName(), w)
		}
	}
	// Replaying from the first version works while the history holds it;
	// the writes of Open are not in it.
	if _, err := s.Watch(ctx, manifest.Pod, "", FromResourceVersion("1")); !apierrors.IsResourceExpired(err) {
		t.Errorf("version 1: %v", err)
	}
	replay, err := s.Watch(ctx, manifest.Pod, "", FromResourceVersion(start))
	if err != nil {
		t.Fatalf("replay: %v", err)
	}
	if e := next(t, replay); e.Type != watch.Added || e.Object.GetName() != "old" {
		t.Errorf("replay starts with %s %s", e.Type, e.Object.GetName())
	}
	cancel()
	for range all {
	}
}

func TestWatchExpiredAfterReopen(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Create(bgctx, newPod("default", "p", "a")); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = open(t, path)
	_, err = s.Watch(t.Context(), manifest.Pod, "", FromResourceVersion("1"))
	if !apierrors.IsResourceExpired(err) {
		t.Fatalf("got %v, want ResourceExpired", err)
	}
	current, _ := s.ResourceVersion()
	if _, err := s.Watch(t.Context(), manifest.Pod, "", FromResourceVersion(current)); err != nil {
		t.Fatalf("watch from the current version: %v", err)
	}
}

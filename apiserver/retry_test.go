package apiserver

import (
	"context"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pullwarden/pullwarden/objects"
)

type uidLog struct {
	mu   sync.Mutex
	uids []string
}

func (u *uidLog) RetryPod(uid string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.uids = append(u.uids, uid)
}

// TestRetryEndpoint: retry by name, --all and -l select the right pods
// over the real client, and a missing pod is NotFound.
func TestRetryEndpoint(t *testing.T) {
	dir := t.TempDir()
	s, err := objects.Open(filepath.Join(dir, "objects.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	sock := DefaultSocket(dir)
	l, err := Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	log := &uidLog{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, l, New(s, WithRetrier(log))) }()
	t.Cleanup(func() { cancel(); <-done })
	c, err := NewClient(sock)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct{ name, app string }{{"a", "web"}, {"b", "web"}, {"c", "db"}} {
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: p.name, Namespace: "default", Labels: map[string]string{"app": p.app}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "x", Image: "example.com/x:1"}}}}
		if _, _, err := c.Apply(t.Context(), pod); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		req  RetryRequest
		want []string
	}{
		{RetryRequest{Namespace: "default", Names: []string{"c"}}, []string{"default/c"}},
		{RetryRequest{Namespace: "default", All: true}, []string{"default/a", "default/b", "default/c"}},
		{RetryRequest{Selector: "app=web"}, []string{"default/a", "default/b"}},
	} {
		res, err := c.Retry(t.Context(), tc.req)
		if err != nil || !slices.Equal(res.Pods, tc.want) {
			t.Errorf("%+v: %v %v, want %v", tc.req, res.Pods, err, tc.want)
		}
	}
	if n := len(log.uids); n != 6 {
		t.Errorf("%d pods retried, want 6", n)
	}
	if _, err := c.Retry(t.Context(), RetryRequest{Names: []string{"nope"}}); !apierrors.IsNotFound(err) {
		t.Errorf("missing pod: %v, want NotFound", err)
	}
	if _, err := c.Retry(t.Context(), RetryRequest{}); !apierrors.IsBadRequest(err) {
		t.Errorf("nothing selected: %v, want BadRequest", err)
	}
}

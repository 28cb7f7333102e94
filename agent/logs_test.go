package agent

import (
	"bytes"
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/pullwarden/pullwarden/apiserver"
	"github.com/pullwarden/pullwarden/objects"
)

// The log of a container that never started is an error with the kubelet's
// words (kubectl prints it and exits 1), not an empty success.
func TestLogsOfAContainerThatNeverStarted(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	s, err := objects.Open(filepath.Join(dir, "state.db"), objects.WithNodeName("node1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Apply(ctx, testPod("p")); err != nil {
		t.Fatal(err)
	}
	a := &Agent{cfg: Config{DataDir: dir}.Defaults(), objects: s}
	sock := filepath.Join(dir, "api.sock")
	l, err := apiserver.Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = apiserver.Serve(ctx, l, apiserver.New(s, apiserver.WithLogs(logSource{a}))) }()
	c, err := apiserver.NewClient(sock)
	if err != nil {
		t.Fatal(err)
	}
	setWaiting := func(why string) {
		p, err := objects.GetAs[*corev1.Pod](ctx, s, "default", "p")
		if err != nil {
			t.Fatal(err)
		}
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app",
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: why}}}}
		if err := s.UpdateStatus(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct{ waiting, want string }{
		{"", `container "app" in pod "p" is not available`},
		{"ErrImagePull", `container "app" in pod "p" is waiting to start: image can't be pulled`},
		{"ImagePullBackOff", `container "app" in pod "p" is waiting to start: trying and failing to pull image`},
		{"ContainerCreating", `container "app" in pod "p" is waiting to start: ContainerCreating`},
	} {
		if tc.waiting != "" {
			setWaiting(tc.waiting)
		}
		var out bytes.Buffer
		err := c.Logs(ctx, "default", "p", "", false, &out)
		if !apierrors.IsBadRequest(err) || err.Error() != tc.want {
			t.Errorf("waiting %q: logs answered %v (%q), want BadRequest %q", tc.waiting, err, out.String(), tc.want)
		}
	}
}

package agent

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pullwarden/pullwarden/internal/testimage"
	"github.com/pullwarden/pullwarden/objects"
	"github.com/pullwarden/pullwarden/runtime/cri"
)

// runSleeper starts an agent on dir, runs a pod whose container sleeps,
// waits until it runs and stops the agent. It returns the agent (closed).
func runSleeper(t *testing.T, ctx context.Context, cfg Config, busybox string) {
	t.Helper()
	a, err := Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	ran := make(chan error, 1)
	go func() { ran <- a.Run(runCtx) }()
	grace := int64(1)
	p := &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: "sleeper", Namespace: "default"},
		Spec: corev1.PodSpec{TerminationGracePeriodSeconds: &grace, Containers: []corev1.Container{
			{Name: "app", Image: busybox, Command: []string{"sleep", "3600"}}}},
	}
	if _, err := a.Objects().Apply(ctx, p); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		cur, err := objects.GetAs[*corev1.Pod](ctx, a.Objects(), "default", "sleeper")
		if err == nil && len(cur.Status.ContainerStatuses) == 1 && cur.Status.ContainerStatuses[0].State.Running != nil {
			break
		}
		if time.Now().After(deadline) {
			stop()
			<-ran
			a.Close()
			t.Fatalf("the pod did not run: %+v", cur.Status)
		}
		time.Sleep(200 * time.Millisecond)
	}
	stop()
	if err := <-ran; err != nil {
		t.Errorf("Run: %v", err)
	}
	a.Close()
}

func shimsAndMounts(dir string) (shims, mounts int) {
	return len(cri.ShimPids(cri.PathsFor(filepath.Join(dir, "containerd")).Socket)), len(cri.MountsUnder(dir))
}

// Without --drain-on-exit a stopped agent leaves its pods running (to be
// adopted); reset then removes them, the shims, the mounts and containerd.
// With --drain-on-exit nothing is left in the first place.
func TestTeardown(t *testing.T) {
	requireContainerd(t)
	reg, pause := pauseRegistry(t)
	busybox := reg.Ref("pullwarden/busybox:1")
	testimage.Push(t, testimage.Busybox(t), busybox, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()

	t.Run("reset", func(t *testing.T) {
		dir := dataDir(t)
		runSleeper(t, ctx, Config{DataDir: dir, PauseImage: pause}, busybox)
		if shims, _ := shimsAndMounts(dir); shims == 0 {
			t.Fatal("no shim after the agent stopped: the pod should keep running")
		}
		r, err := Reset(ctx, Config{DataDir: dir}, false)
		if err != nil {
			t.Fatalf("reset: %v", err)
		}
		if r.Sandboxes != 1 || r.Containerd == 0 {
			t.Errorf("reset report %+v, want 1 sandbox and containerd's pid", r)
		}
		if shims, mounts := shimsAndMounts(dir); shims != 0 || mounts != 0 {
			t.Errorf("after reset: %d shims, %d mounts left", shims, mounts)
		}
		if pid := containerdPid(dir); pid > 0 {
			t.Errorf("after reset containerd (pid %d) still runs", pid)
		}
	})
	t.Run("drain-on-exit", func(t *testing.T) {
		dir := dataDir(t)
		runSleeper(t, ctx, Config{DataDir: dir, PauseImage: pause, DrainOnExit: true}, busybox)
		if shims, mounts := shimsAndMounts(dir); shims != 0 || mounts != 0 {
			t.Errorf("after a drained exit: %d shims, %d mounts left", shims, mounts)
		}
		if pid := containerdPid(dir); pid > 0 {
			t.Errorf("after a drained exit containerd (pid %d) still runs", pid)
		}
	})
}

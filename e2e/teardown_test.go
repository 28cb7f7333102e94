//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pullwarden/pullwarden/agent"
	"github.com/pullwarden/pullwarden/internal/testcontainerd"
	"github.com/pullwarden/pullwarden/manifest"
	"github.com/pullwarden/pullwarden/objects"
	"github.com/pullwarden/pullwarden/runtime/cri"
)

// runSleeper starts an in-process agent, runs a pod whose container
// sleeps, waits until it runs and stops the agent.
func runSleeper(ctx context.Context, t *testing.T, cfg agent.Config, busybox string, beforeStop ...func(*agent.Agent)) {
	t.Helper()
	a, err := agent.Start(ctx, cfg)
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
	running := poll(2*time.Minute, func() bool {
		cur, err := objects.GetAs[*corev1.Pod](ctx, a.Objects(), "default", "sleeper")
		return err == nil && len(cur.Status.ContainerStatuses) == 1 && cur.Status.ContainerStatuses[0].State.Running != nil
	})
	for _, f := range beforeStop {
		f(a)
	}
	stop()
	if err := <-ran; err != nil {
		t.Errorf("Run: %v", err)
	}
	a.Close()
	if !running {
		t.Fatal("the pod did not run")
	}
}

// teardownDir is a short data dir removed with whatever an agent left.
func teardownDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "pwtd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sock := agent.ContainerdSocket(dir)
		if pid := containerdPid(sock); pid > 0 {
			if p, err := os.FindProcess(pid); err == nil {
				_ = p.Kill()
			}
		}
		testcontainerd.KillShims(t, sock)
		testcontainerd.UnmountUnder(t, dir)
		os.RemoveAll(dir)
	})
	return dir
}

func leftovers(dir string) (shims, mounts, containerd int) {
	sock := agent.ContainerdSocket(dir)
	return len(cri.ShimPids(sock)), len(cri.MountsUnder(dir)), containerdPid(sock)
}

// Without --drain-on-exit a stopped agent leaves its pod running (to be
// adopted); reset then removes it, the shims, the mounts and containerd.
// With --drain-on-exit nothing is left in the first place.
func TestTeardown(t *testing.T) {
	requireReal(t)
	b := startBase(t)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()

	t.Run("reset", func(t *testing.T) {
		dir := teardownDir(t)
		runSleeper(ctx, t, agent.Config{DataDir: dir, PauseImage: b.pauseRef}, b.busyboxRef)
		if shims, _, _ := leftovers(dir); shims == 0 {
			t.Fatal("no shim after the agent stopped: the pod should keep running")
		}
		r, err := agent.Reset(ctx, agent.Config{DataDir: dir}, false)
		if err != nil {
			t.Fatalf("reset: %v", err)
		}
		if r.Sandboxes != 1 || r.Containerd == 0 {
			t.Errorf("reset report %+v, want 1 sandbox and containerd's pid", r)
		}
		if shims, mounts, ctd := leftovers(dir); shims != 0 || mounts != 0 || ctd != 0 {
			t.Errorf("after reset: %d shims, %d mounts, containerd pid %d", shims, mounts, ctd)
		}
		if _, err := os.Stat(filepath.Join(dir, "state.db")); err != nil {
			t.Errorf("reset without --remove-data removed the objects: %v", err)
		}
	})
	// A pod deleted right before the agent stops is torn down before the
	// agent releases containerd and the database: no shim survives, and
	// the backoff is saved into an open database.
	t.Run("delete-then-stop", func(t *testing.T) {
		dir := teardownDir(t)
		var log bytes.Buffer
		cfg := agent.Config{DataDir: dir, PauseImage: b.pauseRef, Logger: slog.New(slog.NewTextHandler(&log, nil))}
		runSleeper(ctx, t, cfg, b.busyboxRef, func(a *agent.Agent) {
			if _, err := a.Objects().Delete(ctx, manifest.Pod, "default", "sleeper"); err != nil {
				t.Fatal(err)
			}
		})
		if shims, _, _ := leftovers(dir); shims != 0 {
			t.Errorf("%d shims left after a delete and a stop", shims)
		}
		if strings.Contains(log.String(), "database not open") {
			t.Errorf("the agent wrote after closing its database:\n%s", log.String())
		}
	})
	t.Run("drain-on-exit", func(t *testing.T) {
		dir := teardownDir(t)
		runSleeper(ctx, t, agent.Config{DataDir: dir, PauseImage: b.pauseRef, DrainOnExit: true}, b.busyboxRef)
		if shims, mounts, ctd := leftovers(dir); shims != 0 || mounts != 0 || ctd != 0 {
			t.Errorf("after a drained exit: %d shims, %d mounts, containerd pid %d", shims, mounts, ctd)
		}
	})
}

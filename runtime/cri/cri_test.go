package cri_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pullwarden/pullwarden/internal/testcontainerd"
	"github.com/pullwarden/pullwarden/internal/testimage"
	"github.com/pullwarden/pullwarden/runtime"
	"github.com/pullwarden/pullwarden/runtime/cri"
	"github.com/pullwarden/pullwarden/store"
	storectd "github.com/pullwarden/pullwarden/store/containerd"
)

// TestEchoHelloFromStoredImage writes a busybox image through the
// containerd store (no registry pull by the CRI), runs `echo hello` in a
// host-network sandbox through the CRI and reads its log.
func TestEchoHelloFromStoredImage(t *testing.T) {
	t.Parallel()
	ctd, _ := testcontainerd.StartCRI(t)
	ctx := t.Context()
	s, err := storectd.Open(ctx, ctd.Address)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const name = "example.test/pullwarden/busybox:1"
	rec := testcontainerd.MustWriteImage(t, s, name, testimage.Busybox(t))

	rt, err := cri.New(ctx, ctd.Address)
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	img, err := rt.ImageStatus(ctx, name)
	if err != nil {
		t.Fatalf("CRI does not see the stored image: %v", err)
	}
	if len(img.RepoTags) == 0 || img.RepoTags[0] != name {
		t.Errorf("CRI image tags %v, want %s", img.RepoTags, name)
	}
	if _, err := rt.ImageStatus(ctx, "example.test/none:1"); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("ImageStatus(absent) = %v, want ErrNotFound", err)
	}

	st := runEcho(t, rt, name, "hello")
	if st.ImageRef == "" || !strings.Contains(st.ImageRef, "sha256:") {
		t.Errorf("ImageRef %q", st.ImageRef)
	}
	_ = rec
}

// runEcho runs `echo word` from image in a new host-network sandbox, waits
// for it to exit and checks exit code 0 and the word in its log.
func runEcho(t *testing.T, rt *cri.Runtime, image, word string) runtime.ContainerStatus {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	pod := runtime.Sandbox{
		Name: "echo", Namespace: "default", UID: "uid-" + word, HostNetwork: true,
		LogDirectory: filepath.Join(t.TempDir(), "pod"),
	}
	sb, err := rt.RunPodSandbox(ctx, pod)
	if err != nil {
		t.Fatalf("RunPodSandbox: %v", err)
	}
	t.Cleanup(func() {
		_ = rt.StopPodSandbox(context.Background(), sb)
		_ = rt.RemovePodSandbox(context.Background(), sb)
	})
	id, err := rt.CreateContainer(ctx, sb, pod, runtime.ContainerSpec{
		Name: "echo", Image: image, Command: []string{"echo"}, Args: []string{word},
		Env: []runtime.EnvVar{{Name: "A", Value: "b"}}, WorkingDir: "/", LogPath: "echo/0.log",
	})
	if err != nil {
		t.Fatalf("CreateContainer: %v", err)
	}
	if err := rt.StartContainer(ctx, id); err != nil {
		t.Fatalf("StartContainer: %v", err)
	}
	st := waitExited(ctx, t, rt, id)
	if st.ExitCode != 0 || st.Reason != "Completed" {
		t.Errorf("exit code %d reason %q message %q", st.ExitCode, st.Reason, st.Message)
	}
	// Not compared: for a process this short containerd 1.6 may stamp
	// FinishedAt (from the exit event) a little before StartedAt.
	if st.StartedAt.IsZero() || st.FinishedAt.IsZero() {
		t.Errorf("started %v finished %v", st.StartedAt, st.FinishedAt)
	}
	var lines []string
	if err := cri.ReadLog(ctx, st.LogPath, cri.LogOptions{}, func(l cri.LogLine) error {
		lines = append(lines, l.Stream+":"+string(l.Content))
		return nil
	}); err != nil {
		t.Fatalf("ReadLog: %v", err)
	}
	if len(lines) != 1 || lines[0] != "stdout:"+word {
		t.Errorf("log lines %q, want [stdout:%s]", lines, word)
	}
	cs, err := rt.ListContainers(ctx, runtime.ContainerFilter{SandboxID: sb})
	if err != nil || len(cs) != 1 || cs[0].ID != id || cs[0].State != runtime.StateExited {
		t.Errorf("ListContainers = %+v, %v", cs, err)
	}
	if err := rt.RemoveContainer(ctx, id); err != nil {
		t.Errorf("RemoveContainer: %v", err)
	}
	if _, err := rt.ContainerStatus(ctx, id); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("ContainerStatus after remove = %v, want ErrNotFound", err)
	}
	return st
}

// waitExited polls the container's state until it exits; ctx bounds it.
func waitExited(ctx context.Context, t *testing.T, rt *cri.Runtime, id string) runtime.ContainerStatus {
	t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		st, err := rt.ContainerStatus(ctx, id)
		if err != nil {
			t.Fatalf("ContainerStatus: %v", err)
		}
		if st.State == runtime.StateExited {
			return st
		}
		select {
		case <-ctx.Done():
			t.Fatalf("container %s did not exit: state %s", id, st.State)
		case <-tick.C:
		}
	}
}

// TestStoredImageSurvivesGCAndRestart: once the import's lease has ended,
// containerd's GC and a daemon restart (which drops the CRI's image cache)
// leave the image usable, because PutImage labelled its blobs.
func TestStoredImageSurvivesGCAndRestart(t *testing.T) {
	t.Parallel()
	ctd, _ := testcontainerd.StartCRI(t)
	ctx := t.Context()
	s, err := storectd.Open(ctx, ctd.Address)
	if err != nil {
		t.Fatal(err)
	}
	const name = "example.test/pullwarden/busybox:gc"
	rec := testcontainerd.MustWriteImage(t, s, name, testimage.Busybox(t))
	res, err := s.GC(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("GC removed %+v", res)
	s.Close()

	ctd.Restart()
	s2, err := storectd.Open(ctx, ctd.Address)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if _, err := s2.GC(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := s2.Image(ctx, name)
	if err != nil || got.Target.Digest != rec.Target.Digest {
		t.Fatalf("Image after restart = %+v, %v", got, err)
	}
	if ok, err := store.Complete(ctx, s2, got); !ok || err != nil {
		t.Fatalf("image incomplete after GC and restart: %v, %v", ok, err)
	}
	rt, err := cri.New(ctx, ctd.Address)
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	runEcho(t, rt, name, "survived")
}

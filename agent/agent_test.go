package agent

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pullwarden/pullwarden/internal/testcontainerd"
	"github.com/pullwarden/pullwarden/internal/testimage"
	"github.com/pullwarden/pullwarden/internal/testregistry"
	"github.com/pullwarden/pullwarden/runtime/cri"
)

// requireContainerd skips (or with PULLWARDEN_REQUIRE_REAL=1 fails) when
// the agent's private containerd cannot run here.
func requireContainerd(t *testing.T) {
	t.Helper()
	var missing []string
	if os.Geteuid() != 0 {
		missing = append(missing, "root")
	}
	if _, err := os.Stat(cri.DefaultContainerdBinary); err != nil {
		missing = append(missing, cri.DefaultContainerdBinary)
	}
	if _, err := exec.LookPath("runc"); err != nil {
		missing = append(missing, "runc")
	}
	if len(missing) == 0 {
		return
	}
	if os.Getenv(testcontainerd.EnvRequireReal) == "1" {
		t.Fatalf("needs %s", strings.Join(missing, ", "))
	}
	t.Skipf("needs %s", strings.Join(missing, ", "))
}

// dataDir is a short data directory (the containerd socket path must fit
// a unix socket) removed with everything an agent left in it.
func dataDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "pwag")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sock := cri.PathsFor(filepath.Join(dir, "containerd")).Socket
		if pid := containerdPid(dir); pid > 0 {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		testcontainerd.KillShims(t, sock)
		testcontainerd.UnmountUnder(t, dir)
		os.RemoveAll(dir)
	})
	return dir
}

// containerdPid is the pid of the private containerd recorded in dir when
// that process is alive, else 0.
func containerdPid(dir string) int {
	d := filepath.Join(dir, "containerd")
	return ownDaemon(filepath.Join(d, "containerd.pid"), cri.PathsFor(d).Config)
}

// pauseRegistry runs a registry holding the test pause image.
func pauseRegistry(t *testing.T) (reg *testregistry.Registry, pause string) {
	t.Helper()
	reg = testregistry.Start(t)
	pause = reg.Ref("pullwarden/pause:1")
	testimage.Push(t, testimage.Pause(t), pause, nil)
	return reg, pause
}

func TestStartWithoutPauseImage(t *testing.T) {
	_, err := Start(t.Context(), Config{DataDir: t.TempDir()})
	if !errors.Is(err, ErrNoPauseImage) {
		t.Fatalf("Start without a pause image: %v", err)
	}
}

// A start-up failure after the private containerd started (here: a pause
// image that does not exist) returns an error, does not panic, and leaves
// neither containerd nor the data directory's lock behind.
func TestStartFailureReleasesContainerdAndLock(t *testing.T) {
	requireContainerd(t)
	reg, _ := pauseRegistry(t)
	dir := dataDir(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	a, err := Start(ctx, Config{DataDir: dir, PauseImage: reg.Ref("pullwarden/pause:nope")})
	if err == nil {
		a.Close()
		t.Fatal("Start with a missing pause image succeeded")
	}
	if !strings.Contains(err.Error(), "pause image") {
		t.Errorf("error %q does not name the pause image", err)
	}
	if pid := containerdPid(dir); pid > 0 {
		t.Errorf("the private containerd (pid %d) still runs after a failed start", pid)
	}
	release, err := lockDataDir(dir)
	if err != nil {
		t.Fatalf("the data directory is still locked after a failed start: %v", err)
	}
	release()
}

// A second agent on the same data directory is refused with the first
// one's pid, before it touches containerd; the first keeps working. After
// a clean stop (containerd stopped too), a new agent starts on the same
// directory: it waits for the new containerd's CRI to be ready.
func TestSecondAgentRefusedAndRestartAfterCleanStop(t *testing.T) {
	requireContainerd(t)
	_, pause := pauseRegistry(t)
	dir := dataDir(t)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cfg := Config{DataDir: dir, PauseImage: pause}
	first, err := Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	pid := containerdPid(dir)
	if pid == 0 {
		t.Fatal("no private containerd recorded")
	}
	_, err = Start(ctx, cfg)
	var running *AlreadyRunningError
	if !errors.As(err, &running) || running.Pid != os.Getpid() {
		first.Close()
		t.Fatalf("second Start: %v; want AlreadyRunningError with pid %d", err, os.Getpid())
	}
	if want := "already running on " + dir + " (pid "; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q lacks %q", err, want)
	}
	if containerdPid(dir) != pid {
		t.Errorf("the refused start touched the first agent's containerd")
	}
	runCtx, stop := context.WithCancel(ctx)
	ran := make(chan error, 1)
	go func() { ran <- first.Run(runCtx) }()
	stop()
	if err := <-ran; err != nil {
		t.Fatalf("Run: %v", err)
	}
	first.Close()
	if p := containerdPid(dir); p > 0 {
		t.Fatalf("containerd (pid %d) still runs after Close", p)
	}
	for i := range 2 {
		again, err := Start(ctx, cfg)
		if err != nil {
			t.Fatalf("start %d after a clean stop: %v", i+2, err)
		}
		again.Close()
	}
}

//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pullwarden/pullwarden/apiserver"
	"github.com/pullwarden/pullwarden/internal/testcontainerd"
	"github.com/pullwarden/pullwarden/internal/testimage"
	"github.com/pullwarden/pullwarden/internal/testregistry"
)

// envRequireReal turns a missing real part into a failure (CI sets it).
const envRequireReal = "PULLWARDEN_REQUIRE_REAL"

// binary is the pullwarden executable TestMain builds.
var binary string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "pwe-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "pullwarden")
	gotool, err := testimage.GoTool()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	build := exec.Command(gotool, "build", "-o", binary, "./cmd/pullwarden")
	build.Dir = ".."
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	start := time.Now()
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: go build ./cmd/pullwarden:", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "e2e: built %s in %v\n", binary, time.Since(start).Round(time.Millisecond))
	return m.Run()
}

// requireReal skips (or, with PULLWARDEN_REQUIRE_REAL=1, fails) a test
// when root, containerd, runc or docker-registry are missing.
func requireReal(t *testing.T) {
	t.Helper()
	var missing []string
	if os.Geteuid() != 0 {
		missing = append(missing, "root")
	}
	for _, bin := range []string{"/usr/bin/containerd", "/usr/bin/docker-registry"} {
		if _, err := os.Stat(bin); err != nil {
			missing = append(missing, bin)
		}
	}
	if _, err := exec.LookPath("runc"); err != nil {
		missing = append(missing, "runc")
	}
	if len(missing) == 0 {
		return
	}
	if os.Getenv(envRequireReal) == "1" {
		t.Fatalf("e2e needs %s (and %s=1 forbids skipping)", strings.Join(missing, ", "), envRequireReal)
	}
	t.Skipf("e2e needs %s", strings.Join(missing, ", "))
}

// waitFor polls cond every 250 ms until it holds or timeout passes, then
// fails the test with what.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	if !poll(timeout, cond) {
		t.Fatalf("timed out after %v waiting for %s", timeout, what)
	}
}

// poll is waitFor that reports instead of failing.
func poll(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		<-tick.C
	}
}

// images built once per process.
var images struct {
	once           sync.Once
	pause, busybox v1.Image
	err            error
}

func testImages(t *testing.T) (pause, busybox v1.Image) {
	t.Helper()
	if _, err := os.Stat(testimage.BusyboxPath); err != nil {
		testimage.Busybox(t) // skips or fails with the package's words
	}
	images.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		if images.pause, images.err = testimage.NewPause(ctx); images.err != nil {
			return
		}
		images.busybox, images.err = testimage.NewBusybox()
	})
	if images.err != nil {
		t.Fatal(images.err)
	}
	return images.pause, images.busybox
}

// base is a running registry holding pause:1 and busybox:1.
type base struct {
	reg                  *testregistry.Registry
	pauseRef, busyboxRef string
}

func startBase(t *testing.T) *base {
	t.Helper()
	pause, busybox := testImages(t)
	reg := testregistry.Start(t)
	b := &base{reg: reg, pauseRef: reg.Ref("pause:1"), busyboxRef: reg.Ref("busybox:1")}
	testimage.Push(t, pause, b.pauseRef, nil)
	testimage.Push(t, busybox, b.busyboxRef, nil)
	return b
}

// cmdResult is the outcome of one run of the binary.
type cmdResult struct {
	Stdout, Stderr string
	Code           int
}

func (r cmdResult) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
}

// runBinary runs pullwarden with args and extra environment, bounded by
// timeout.
func runBinary(t *testing.T, timeout time.Duration, env []string, stdin string, args ...string) cmdResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := cmdResult{Stdout: stdout.String(), Stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		res.Code = ee.ExitCode()
	default:
		t.Fatalf("pullwarden %s: %v", strings.Join(args, " "), err)
	}
	if ctx.Err() != nil {
		t.Fatalf("pullwarden %s: did not finish within %v\n%s", strings.Join(args, " "), timeout, res)
	}
	return res
}

// writeFile writes content to a new file under t.TempDir().
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// freePort returns a loopback port nothing listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Agent is a `pullwarden serve` subprocess on its own data directory.
type Agent struct {
	t          *testing.T
	Dir        string
	Socket     string
	PauseImage string
	Client     *apiserver.Client
	LogPath    string
	// Args are extra `serve` arguments. startAgent sets --retry-policy
	// kubelet: the scenarios written against the kubelet's behaviour run
	// in that mode; startAgentArgs chooses.
	Args []string

	cmd  *exec.Cmd
	done chan struct{}
	// started is true when this process started the private containerd
	// (false when it adopted one an earlier, killed run left behind).
	startedContainerd bool
}

// startAgent starts an agent on a new short data dir (unix socket paths
// are limited to about 100 bytes) and registers its cleanup: pods
// deleted, agent stopped, containerd and shims gone, mounts detached,
// the directory removed.
func startAgent(t *testing.T, pauseImage string) *Agent {
	t.Helper()
	return startAgentArgs(t, pauseImage, "--retry-policy", "kubelet")
}

// startAgentArgs is startAgent with extra serve arguments.
func startAgentArgs(t *testing.T, pauseImage string, args ...string) *Agent {
	t.Helper()
	requireReal(t)
	dir, err := os.MkdirTemp("", "pwe")
	if err != nil {
		t.Fatal(err)
	}
	a := &Agent{
		t: t, Dir: dir, PauseImage: pauseImage, Args: args,
		Socket:  filepath.Join(dir, "pullwarden.sock"),
		LogPath: filepath.Join(dir, "agent.log"),
	}
	t.Cleanup(a.cleanup)
	a.Start()
	return a
}

// containerdSocket is the private containerd's socket.
func (a *Agent) containerdSocket() string {
	return filepath.Join(a.Dir, "containerd", "containerd.sock")
}

// Start starts the agent process and waits until its API answers.
func (a *Agent) Start() {
	a.t.Helper()
	hadContainerd := containerdPid(a.containerdSocket()) > 0
	logf, err := os.OpenFile(a.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		a.t.Fatal(err)
	}
	defer logf.Close()
	fmt.Fprintf(logf, "=== e2e: starting agent at %s\n", time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(binary, append([]string{"serve", "--data-dir", a.Dir, "--pause-image", a.PauseImage, "--log-level", "info"}, a.Args...)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own process group, and killed with the test binary.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		a.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	a.cmd, a.done = cmd, done
	a.startedContainerd = !hadContainerd
	if a.Client == nil {
		if a.Client, err = apiserver.NewClient(a.Socket); err != nil {
			a.t.Fatal(err)
		}
	}
	ready := poll(90*time.Second, func() bool {
		select {
		case <-done:
			return true
		default:
		}
		ctx, cancel := context.WithTimeout(a.t.Context(), 2*time.Second)
		defer cancel()
		_, err := a.Client.CoreV1().Pods("default").List(ctx, metav1.ListOptions{})
		return err == nil
	})
	select {
	case <-done:
		a.t.Fatalf("agent exited during start: %v\nlog:\n%s", cmd.ProcessState, testregistry.Tail(a.LogPath, 40))
	default:
	}
	if !ready {
		a.t.Fatalf("agent API did not answer within 90s\nlog:\n%s", testregistry.Tail(a.LogPath, 40))
	}
}

// Running reports whether the agent process is alive.
func (a *Agent) Running() bool {
	if a.cmd == nil {
		return false
	}
	select {
	case <-a.done:
		return false
	default:
		return true
	}
}

// Stop sends sig to the agent and waits for it to exit (SIGKILL after
// 60 s).
func (a *Agent) Stop(sig syscall.Signal) {
	a.t.Helper()
	if !a.Running() {
		return
	}
	_ = a.cmd.Process.Signal(sig)
	select {
	case <-a.done:
	case <-time.After(60 * time.Second):
		a.t.Errorf("agent did not exit within 60s of %v; killing it", sig)
		_ = a.cmd.Process.Kill()
		<-a.done
	}
}

// env is the environment that points the CLI at this agent.
func (a *Agent) env() []string { return []string{"PULLWARDEN_SERVER=" + a.Socket} }

// CLI runs a pullwarden command against this agent.
func (a *Agent) CLI(args ...string) cmdResult {
	a.t.Helper()
	return runBinary(a.t, 60*time.Second, a.env(), "", args...)
}

// CLIT is CLI for a subtest's t (failures land in the subtest).
func (a *Agent) CLIT(t *testing.T, args ...string) cmdResult {
	t.Helper()
	return runBinary(t, 60*time.Second, a.env(), "", args...)
}

// Apply applies a manifest with the CLI and fails t unless it succeeds.
func (a *Agent) Apply(t *testing.T, manifest string) {
	t.Helper()
	p := writeFile(t, "apply.yaml", manifest)
	if res := a.CLIT(t, "apply", "-f", p); res.Code != 0 {
		t.Fatalf("apply failed:\n%s\nmanifest:\n%s", res, manifest)
	}
}

// cleanup deletes the pods, stops the agent, and makes sure the private
// containerd, its shims and its mounts are gone.
func (a *Agent) cleanup() {
	t := a.t
	if t.Failed() {
		t.Logf("agent log (%s), last lines:\n%s", a.LogPath, testregistry.Tail(a.LogPath, 80))
	}
	if a.Running() {
		a.deleteAllPods()
		a.Stop(syscall.SIGTERM)
	}
	sock := a.containerdSocket()
	if pid := containerdPid(sock); pid > 0 {
		if a.startedContainerd {
			t.Errorf("the private containerd (pid %d) still runs after the agent that started it stopped on SIGTERM", pid)
		}
		removeSandboxes(t, sock)
		stopProcess(t, pid)
	}
	testcontainerd.KillShims(t, sock)
	testcontainerd.UnmountUnder(t, a.Dir)
	if err := os.RemoveAll(a.Dir); err != nil {
		t.Logf("remove %s: %v", a.Dir, err)
	}
}

// deleteAllPods deletes every pod and waits (bounded) until the agent
// has removed their sandboxes.
func (a *Agent) deleteAllPods() {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	list, err := a.Client.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
	if err != nil {
		a.t.Logf("cleanup: list pods: %v", err)
		return
	}
	for _, p := range list.Items {
		if err := a.Client.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{}); err != nil {
			a.t.Logf("cleanup: delete pod %s: %v", p.Name, err)
		}
	}
	if !poll(45*time.Second, func() bool { return sandboxCount(ctx, a.containerdSocket()) == 0 }) {
		a.t.Logf("cleanup: sandboxes still present 45s after deleting the pods")
	}
}

//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// run-pod shows the container's output and exits with its exit code.
func TestRunPodOutputAndExitCode(t *testing.T) {
	requireReal(t)
	b := startBase(t)
	manifest := writeFile(t, "exits.yaml", `apiVersion: v1
kind: Pod
metadata: {name: exits}
spec:
  restartPolicy: Never
  containers:
  - name: app
    image: `+b.busyboxRef+`
    command: ["sh", "-c", "echo hello from app; exit 3"]
`)
	res := runBinary(t, 3*time.Minute, nil, "", "run-pod", "-f", manifest, "--pause-image", b.pauseRef)
	if res.Code != 3 {
		t.Errorf("exit code %d, want the container's 3\n%s", res.Code, res)
	}
	for _, want := range []string{"hello from app\n", "event: Normal Pulled spec.containers{app}: ", "exits   0/1     Error"} {
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, res)
		}
	}
}

// run-pod shows why a pull fails: the waiting message with its cause and
// the Failed event, as they come; Ctrl-C ends it with status 1.
func TestRunPodShowsWhyAPullFails(t *testing.T) {
	requireReal(t)
	b := startBase(t)
	manifest := writeFile(t, "missing.yaml", `apiVersion: v1
kind: Pod
metadata: {name: missing}
spec:
  initContainers:
  - name: init
    image: `+b.reg.Ref("busybox:nope")+`
  containers:
  - name: app
    image: `+b.busyboxRef+`
`)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "run-pod", "-f", manifest, "--pause-image", b.pauseRef)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var seen strings.Builder
	waiting, failed := false, false
	sc := bufio.NewScanner(stdout)
	for sc.Scan() && !(waiting && failed) {
		line := sc.Text()
		seen.WriteString(line + "\n")
		waiting = waiting || strings.HasPrefix(line, `container "init" waiting: ErrImagePull: TagNotFound: `)
		failed = failed || strings.HasPrefix(line, "event: Warning Failed spec.initContainers{init}: Failed to pull image ")
	}
	_ = cmd.Process.Signal(syscall.SIGINT)
	go func() {
		for sc.Scan() {
		}
	}()
	err = cmd.Wait()
	if !waiting || !failed {
		t.Fatalf("run-pod did not show the pull's cause (waiting %v, event %v):\n%s", waiting, failed, seen.String())
	}
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Errorf("interrupted run-pod: %v, want exit status 1", err)
	}
}

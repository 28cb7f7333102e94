//go:build e2e

package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pullwarden/pullwarden/internal/testcontainerd"
)

// TestRunPod runs a pod to completion with `run-pod -f`: exit 0, the
// Completed status in the output, and nothing left behind (no sandbox, no
// containerd, no shim, no mount, no temp dir).
func TestRunPod(t *testing.T) {
	requireReal(t)
	b := startBase(t)
	// run-pod makes its data dir with os.MkdirTemp("", ...): a TMPDIR of
	// our own shows where it lived and whether it is gone.
	tmp, err := os.MkdirTemp("", "pwr")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, pid := range processesMentioning(tmp + "/") {
			t.Errorf("process %d (%s) left running under %s; killing it", pid, cmdline(pid), tmp)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		testcontainerd.UnmountUnder(t, tmp)
		_ = os.RemoveAll(tmp)
	})
	manifest := writeFile(t, "done.yaml", `apiVersion: v1
kind: Pod
metadata:
  name: echo-done
spec:
  restartPolicy: Never
  containers:
  - name: app
    image: `+b.busyboxRef+`
    command: ["echo", "done"]
`)
	start := time.Now()
	res := runBinary(t, 3*time.Minute, []string{"TMPDIR=" + tmp}, "", "run-pod", "-f", manifest, "--pause-image", b.pauseRef)
	t.Logf("run-pod took %v:\n%s", time.Since(start).Round(time.Millisecond), res)
	if res.Code != 0 {
		t.Errorf("run-pod exit code %d, want 0", res.Code)
	}
	var completed bool
	for _, line := range strings.Split(res.Stdout, "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && f[0] == "echo-done" && f[2] == "Completed" {
			completed = true
		}
	}
	if !completed {
		t.Errorf("no `echo-done ... Completed` row in the output:\n%s", res.Stdout)
	}
	entries, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("run-pod left %s behind", filepath.Join(tmp, e.Name()))
	}
	if m := testcontainerd.MountsUnder(tmp); len(m) > 0 {
		t.Errorf("run-pod left mounts: %q", m)
	}
	if pids := processesMentioning(tmp + "/"); len(pids) > 0 {
		for _, pid := range pids {
			t.Errorf("run-pod left process %d running: %s", pid, cmdline(pid))
		}
	}
}

// processesMentioning lists live processes whose command line contains s
// (a private containerd's --config, a shim's -address).
func processesMentioning(s string) []int {
	var pids []int
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil || !bytes.Contains(b, []byte(s)) {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
		if pid != os.Getpid() && alive(pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

func cmdline(pid int) string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	return strings.ReplaceAll(strings.TrimRight(string(b), "\x00"), "\x00", " ")
}

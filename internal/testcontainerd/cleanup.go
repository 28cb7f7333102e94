package testcontainerd

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// ShimPids are the containerd-shim processes started for the daemon at
// socket (their command line carries "-address SOCKET").
func ShimPids(socket string) []int {
	var pids []int
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		args := bytes.Split(bytes.TrimRight(b, "\x00"), []byte{0})
		if len(args) == 0 || !bytes.Contains(args[0], []byte("containerd-shim")) {
			continue
		}
		for i := 0; i+1 < len(args); i++ {
			if string(args[i]) == "-address" && string(args[i+1]) == socket {
				pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
				pids = append(pids, pid)
			}
		}
	}
	return pids
}

// KillShims kills the shims of the daemon at socket, and their containers
// with them.
func KillShims(t testing.TB, socket string) {
	for _, pid := range ShimPids(socket) {
		t.Logf("testcontainerd: killing leftover shim %d", pid)
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// MountsUnder lists the mount points at or below dir, in mount order.
func MountsUnder(dir string) []string {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	var mounts []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 4 && (f[4] == dir || strings.HasPrefix(f[4], dir+"/")) {
			mounts = append(mounts, f[4])
		}
	}
	return mounts
}

// UnmountUnder detaches every mount at or below dir, deepest (latest) first.
func UnmountUnder(t testing.TB, dir string) {
	mounts := MountsUnder(dir)
	for i := len(mounts) - 1; i >= 0; i-- {
		if err := unix.Unmount(mounts[i], unix.MNT_DETACH); err != nil {
			t.Logf("testcontainerd: unmount %s: %v", mounts[i], err)
		}
	}
}

package cri

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// ShimPids are the containerd-shim processes serving the daemon at socket
// (their command line carries "-address SOCKET"). A shim outlives its
// daemon; it ends when its last task is deleted.
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
				if pid, err := strconv.Atoi(filepath.Base(filepath.Dir(p))); err == nil {
					pids = append(pids, pid)
				}
			}
		}
	}
	return pids
}

// KillShims SIGKILLs the shims of the daemon at socket (and so their
// containers) and returns how many there were.
func KillShims(socket string) int {
	pids := ShimPids(socket)
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	return len(pids)
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

// UnmountUnder detaches every mount at or below dir, latest first, and
// returns how many it detached and the first error.
func UnmountUnder(dir string) (int, error) {
	mounts := MountsUnder(dir)
	n := 0
	var first error
	for i := len(mounts) - 1; i >= 0; i-- {
		if err := unix.Unmount(mounts[i], unix.MNT_DETACH); err != nil {
			if first == nil {
				first = &os.PathError{Op: "unmount", Path: mounts[i], Err: err}
			}
			continue
		}
		n++
	}
	return n, first
}

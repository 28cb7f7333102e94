//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pullwarden/pullwarden/runtime/cri"
)

// containerdPid is the process listening on the unix socket sock, 0 when
// none: the socket's inode from /proc/net/unix, then the process holding
// it among /proc/*/fd.
func containerdPid(sock string) int {
	b, err := os.ReadFile("/proc/net/unix")
	if err != nil {
		return 0
	}
	inodes := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		// Num RefCount Protocol Flags Type St Inode Path; Flags has
		// __SO_ACCEPTCON (0x10000) on listening sockets.
		if len(f) < 8 || f[7] != sock {
			continue
		}
		if flags, err := strconv.ParseUint(f[3], 16, 32); err == nil && flags&0x10000 != 0 {
			inodes["socket:["+f[6]+"]"] = true
		}
	}
	if len(inodes) == 0 {
		return 0
	}
	fds, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	for _, fd := range fds {
		if link, err := os.Readlink(fd); err == nil && inodes[link] {
			pid, _ := strconv.Atoi(strings.Split(fd, "/")[2])
			return pid
		}
	}
	return 0
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// pid (comm) STATE ...
	i := bytes.LastIndexByte(b, ')')
	return i < 0 || i+2 >= len(b) || b[i+2] != 'Z'
}

// stopProcess sends SIGTERM, then SIGKILL after 15 s, and waits until pid
// is gone.
func stopProcess(t *testing.T, pid int) {
	_ = syscall.Kill(pid, syscall.SIGTERM)
	if poll(15*time.Second, func() bool { return !alive(pid) }) {
		return
	}
	t.Logf("process %d ignored SIGTERM for 15s; killing it", pid)
	_ = syscall.Kill(pid, syscall.SIGKILL)
	poll(10*time.Second, func() bool { return !alive(pid) })
}

// sandboxCount is the number of CRI sandboxes of the containerd at sock
// (0 when it does not answer).
func sandboxCount(ctx context.Context, sock string) int {
	if containerdPid(sock) == 0 {
		return 0
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	rt, err := cri.New(ctx, sock)
	if err != nil {
		return 0
	}
	defer rt.Close()
	boxes, err := rt.ListPodSandboxes(ctx)
	if err != nil {
		return 0
	}
	return len(boxes)
}

// removeSandboxes stops and removes every sandbox of the containerd at
// sock, which ends their containers and shims.
func removeSandboxes(t *testing.T, sock string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rt, err := cri.New(ctx, sock)
	if err != nil {
		t.Logf("cleanup: CRI at %s: %v", sock, err)
		return
	}
	defer rt.Close()
	boxes, err := rt.ListPodSandboxes(ctx)
	if err != nil {
		t.Logf("cleanup: list sandboxes: %v", err)
		return
	}
	for _, b := range boxes {
		_ = rt.StopPodSandbox(ctx, b.ID)
		_ = rt.RemovePodSandbox(ctx, b.ID)
	}
}

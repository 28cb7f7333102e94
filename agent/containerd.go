package agent

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/pullwarden/pullwarden/runtime/cri"
)

// ContainerdSocket is the socket of the private containerd of an agent
// with the given data directory ("auto"), where `pullwarden pull --node`
// and `pullwarden load --node` put images.
func ContainerdSocket(dataDir string) string {
	return cri.PathsFor(filepath.Join(dataDir, "containerd")).Socket
}

// containerd returns the address of the containerd to use. For "auto" it is
// a private daemon under the data dir: the one an earlier run left serving
// (after a kill -9 it keeps running with its containers), or a new one.
func (a *Agent) containerd(ctx context.Context) (string, error) {
	if a.cfg.ContainerdAddress != "auto" {
		return a.cfg.ContainerdAddress, nil
	}
	dir := filepath.Join(a.cfg.DataDir, "containerd")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	paths := cri.PathsFor(dir)
	pidFile := filepath.Join(dir, "containerd.pid")
	if c, err := net.DialTimeout("unix", paths.Socket, time.Second); err == nil {
		c.Close()
		a.adopted = ownDaemon(pidFile, paths.Config)
		a.cfg.Logger.Info("reusing the private containerd of an earlier run", "address", paths.Socket, "pid", a.adopted)
		return paths.Socket, nil
	}
	d, err := cri.StartDaemon(ctx, dir, cri.DaemonOptions{SandboxImage: a.cfg.PauseImage, Logger: a.cfg.Logger})
	if err != nil {
		return "", err
	}
	a.daemon = d
	if err := os.WriteFile(pidFile, []byte(strconv.Itoa(d.Pid())), 0o600); err != nil {
		a.cfg.Logger.Warn("recording containerd's pid", "error", err)
	}
	return d.Address, nil
}

// ownDaemon returns the pid recorded in pidFile when that process is still
// a containerd running with config; else 0.
func ownDaemon(pidFile, config string) int {
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(b)))
	if err != nil || pid <= 0 {
		return 0
	}
	cmdline, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	if err != nil || !bytes.Contains(cmdline, []byte(config)) {
		return 0
	}
	return pid
}

// stopContainerd stops the private containerd, started or adopted. Its
// containers keep running under their shims.
func (a *Agent) stopContainerd() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if a.daemon != nil {
		_ = a.daemon.Stop(ctx)
		a.daemon = nil
	}
	if a.adopted > 0 {
		_ = syscall.Kill(a.adopted, syscall.SIGTERM)
		for ctx.Err() == nil && syscall.Kill(a.adopted, 0) == nil {
			time.Sleep(20 * time.Millisecond)
		}
		if syscall.Kill(a.adopted, 0) == nil {
			_ = syscall.Kill(a.adopted, syscall.SIGKILL)
		}
		a.adopted = 0
	}
}

package agent

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// PidFile is the file under the data directory that an agent holds locked
// while it runs, with its process ID in it.
const PidFile = "agent.pid"

// AlreadyRunningError is Start's error when another agent holds the data
// directory.
type AlreadyRunningError struct {
	DataDir string
	// Pid is the other agent's process ID (0 when unknown).
	Pid int
}

func (e *AlreadyRunningError) Error() string {
	if e.Pid > 0 {
		return fmt.Sprintf("a pullwarden agent is already running on %s (pid %d): stop it first, or use another --data-dir", e.DataDir, e.Pid)
	}
	return fmt.Sprintf("a pullwarden agent is already running on %s: stop it first, or use another --data-dir", e.DataDir)
}

// lockDataDir takes the data directory's exclusive lock (a flock on
// DATA_DIR/agent.pid, released by the kernel when the process dies, so a
// kill -9 leaves no stale lock) and writes this process's ID into it.
func lockDataDir(dir string) (release func() error, err error) {
	path := filepath.Join(dir, PidFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			b, _ := os.ReadFile(path)
			pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
			return nil, &AlreadyRunningError{DataDir: dir, Pid: pid}
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return func() error {
		_ = f.Truncate(0)
		return f.Close()
	}, nil
}

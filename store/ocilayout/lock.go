package ocilayout

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// tryLock takes a flock on path (created if missing) without waiting. It
// returns nil, nil when another holder has it. The lock is released by
// closing the returned file. A lock on a file that was unlinked or replaced
// meanwhile is dropped and reported as not acquired.
func tryLock(path string, exclusive bool) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, storeErr(err, "cannot create %s: %v", filepath.Dir(path), err)
	}
	return tryLockFile(path, os.O_CREATE, exclusive)
}

// tryLockExisting is tryLock for a file that must exist: it returns
// os.ErrNotExist rather than creating it.
func tryLockExisting(path string, exclusive bool) (*os.File, error) {
	return tryLockFile(path, 0, exclusive)
}

func tryLockFile(path string, flags int, exclusive bool) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|flags, 0o644)
	if isNotExist(err) && flags&os.O_CREATE == 0 {
		return nil, err
	}
	if err != nil {
		return nil, storeErr(err, "cannot open lock file %s: %v", path, err)
	}
	how := unix.LOCK_SH
	if exclusive {
		how = unix.LOCK_EX
	}
	if err := flock(f, how|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, nil
		}
		return nil, storeErr(err, "cannot lock %s: %v", path, err)
	}
	same, err := sameFile(f, path)
	if err != nil || !same {
		f.Close()
		return nil, err
	}
	return f, nil
}

// lock takes a flock on path, polling every interval until ctx ends.
func lock(ctx context.Context, path string, exclusive bool, interval time.Duration) (*os.File, error) {
	var t *time.Timer
	for {
		f, err := tryLock(path, exclusive)
		if err != nil || f != nil {
			return f, err
		}
		if t == nil {
			t = time.NewTimer(interval)
			defer t.Stop()
		} else {
			t.Reset(interval)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for lock %s: %w", path, ctx.Err())
		case <-t.C:
		}
	}
}

func flock(f *os.File, how int) error {
	for {
		err := unix.Flock(int(f.Fd()), how)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// sameFile reports whether the open file f is still the file at path.
func sameFile(f *os.File, path string) (bool, error) {
	fi, err := f.Stat()
	if err != nil {
		return false, err
	}
	pi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	a, ok1 := fi.Sys().(*syscall.Stat_t)
	b, ok2 := pi.Sys().(*syscall.Stat_t)
	if !ok1 || !ok2 {
		return os.SameFile(fi, pi), nil
	}
	return a.Dev == b.Dev && a.Ino == b.Ino, nil
}

const lockShared = unix.LOCK_SH

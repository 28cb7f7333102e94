package ocilayout

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// errReadOnly is why a store opened WithReadOnly refuses writes.
var errReadOnly = errors.New("opened read-only")

// readOnlyFS returns an error when dir exists on a read-only file system
// (or is not writable by this process), nil when it is writable or does
// not exist yet (Open then creates it). access(2) answers EROFS also for
// root, who is not stopped by file modes.
func readOnlyFS(dir string) error {
	err := unix.Access(dir, unix.W_OK)
	switch {
	case err == nil, errors.Is(err, unix.ENOENT):
		return nil
	case errors.Is(err, unix.EROFS), errors.Is(err, unix.EACCES), errors.Is(err, unix.EPERM):
		return err
	default:
		return nil // let the first write report it
	}
}

// checkReadOnly checks a store that Open must not write to: its oci-layout
// file must exist and be valid.
func (s *Store) checkReadOnly() error {
	p := s.path(layoutFile)
	b, err := os.ReadFile(p)
	if err != nil {
		return storeErr(err, "read-only store %s: cannot read %s: %v", s.dir, p, err)
	}
	return checkLayout(p, b)
}

// writable returns nil, or the cause.StoreFailed error of a write, described
// by what ("write blob sha256:..."), that a read-only store refuses.
func (s *Store) writable(what string, args ...any) error {
	if s.readOnly == nil {
		return nil
	}
	return storeErr(s.readOnly, "store %s is read-only (%v): cannot %s", s.dir, s.readOnly, fmt.Sprintf(what, args...))
}

package ocilayout

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"time"
)

const storeLock = "locks/store.lock"

type leaseRecord struct {
	Started time.Time `json:"started"`
	PID     int       `json:"pid"`
}

// Lease protects from GC every blob committed, or found present by Writer
// or Info, until release is called. It lives in a file under leases/ that
// this process holds a shared flock on; a lease whose process died is
// removed by the next GC.
func (s *Store) Lease(ctx context.Context) (func() error, error) {
	if err := s.writable("take a lease"); err != nil {
		return nil, err
	}
	sl, err := lock(ctx, s.path(storeLock), false, s.opts.pollInterval)
	if err != nil {
		return nil, err
	}
	defer sl.Close()
	p := filepath.Join(s.path(leasesDir), randomID())
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, storeErr(err, "cannot create lease %s: %v", p, err)
	}
	if err := flock(f, lockShared); err != nil {
		f.Close()
		_ = os.Remove(p)
		return nil, storeErr(err, "cannot lock lease %s: %v", p, err)
	}
	b, _ := json.Marshal(leaseRecord{Started: s.opts.now().UTC(), PID: os.Getpid()})
	if _, err := f.Write(b); err != nil {
		f.Close()
		_ = os.Remove(p)
		return nil, storeErr(err, "cannot write lease %s: %v", p, err)
	}
	s.leases.Add(1)
	var once sync.Once
	release := func() error {
		var err error
		once.Do(func() {
			s.leases.Add(-1)
			if rerr := os.Remove(p); rerr != nil && !isNotExist(rerr) {
				err = storeErr(rerr, "cannot remove lease %s: %v", p, rerr)
			}
			f.Close()
		})
		return err
	}
	return release, nil
}

// oldestLease returns the start of the oldest live lease of any process
// (ok false when none lives) and removes the leases of dead processes. The
// caller holds the store lock exclusively.
func (s *Store) oldestLease() (oldest time.Time, ok bool, removed int, err error) {
	dir := s.path(leasesDir)
	ents, err := os.ReadDir(dir)
	if err != nil && !isNotExist(err) {
		return oldest, false, 0, storeErr(err, "cannot list %s: %v", dir, err)
	}
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		f, err := tryLock(p, true)
		if err != nil {
			return oldest, false, removed, storeErr(err, "cannot check lease %s: %v", p, err)
		}
		if f != nil { // nobody holds it: its process is gone
			_ = os.Remove(p)
			f.Close()
			removed++
			continue
		}
		var rec leaseRecord
		if err := readJSON(p, &rec); err != nil && !errors.Is(err, os.ErrNotExist) {
			rec.Started = time.Time{} // unreadable: protect everything
		} else if err != nil {
			continue // released meanwhile
		}
		if !ok || rec.Started.Before(oldest) {
			oldest, ok = rec.Started, true
		}
	}
	return oldest, ok, removed, nil
}

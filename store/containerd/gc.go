package containerd

import (
	"context"
	"fmt"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/leases"
	"github.com/containerd/errdefs"

	"github.com/pullwarden/pullwarden/store"
)

// leaseExpiry bounds a lease of a process that died without releasing it:
// containerd's GC removes the lease after this long.
const leaseExpiry = 24 * time.Hour

// Lease implements store.Store. While any Lease is held, everything the
// store writes (ingests, blobs, labels, snapshots of the unpack) belongs to
// one containerd lease, so containerd's GC keeps it; the last release
// deletes the lease. A lease left by a crashed process expires after 24
// hours.
func (s *Store) Lease(ctx context.Context) (func() error, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.leaseCount == 0 {
		id, err := s.createLease(ctx, "import")
		if err != nil {
			return nil, err
		}
		s.leaseID = id
	}
	s.leaseCount++
	released := false
	return func() error {
		s.mu.Lock()
		defer s.mu.Unlock()
		if released {
			return nil
		}
		released = true
		s.leaseCount--
		if s.leaseCount > 0 {
			return nil
		}
		id := s.leaseID
		s.leaseID = ""
		err := s.client.LeasesService().Delete(s.nsctx(context.Background()), leases.Lease{ID: id})
		if err != nil && !errdefs.IsNotFound(err) {
			return s.fail(err, "delete lease %s", id)
		}
		return nil
	}, nil
}

// GC implements store.Store by running containerd's own garbage collector
// synchronously. Writes made outside Lease belong to the store's default
// lease, so containerd's background GC keeps them as the contract wants
// (until GC); GC swaps in a new default lease and deletes the old one with
// leases.SynchronousDelete, which makes the daemon collect before it
// answers. containerd then removes content that no image record (through
// the gc.ref labels PutImage writes), no lease and no snapshot references,
// ingests of deleted leases, and unleased ingests older than 24 hours. The
// result counts what vanished from this namespace during the call.
func (s *Store) GC(ctx context.Context) (store.GCResult, error) {
	before, ingBefore, err := s.inventory(ctx)
	if err != nil {
		return store.GCResult{}, err
	}
	fresh, err := s.createLease(ctx, "default")
	if err != nil {
		return store.GCResult{}, err
	}
	s.mu.Lock()
	old := s.defaultLease
	s.defaultLease = fresh
	s.mu.Unlock()
	ls := s.client.LeasesService()
	if old == "" {
		if old, err = s.createLease(ctx, "gc"); err != nil {
			return store.GCResult{}, err
		}
	}
	if err := ls.Delete(s.nsctx(ctx), leases.Lease{ID: old}, leases.SynchronousDelete); err != nil && !errdefs.IsNotFound(err) {
		return store.GCResult{}, s.fail(err, "run GC")
	}
	after, ingAfter, err := s.inventory(ctx)
	if err != nil {
		return store.GCResult{}, err
	}
	var res store.GCResult
	for d, size := range before {
		if _, ok := after[d]; !ok {
			res.Blobs++
			res.Bytes += size
		}
	}
	for ref := range ingBefore {
		if _, ok := ingAfter[ref]; !ok {
			res.Ingests++
		}
	}
	return res, nil
}

// renewDefaultLease starts the store's default lease.
func (s *Store) renewDefaultLease(ctx context.Context) error {
	id, err := s.createLease(ctx, "default")
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.defaultLease = id
	s.mu.Unlock()
	return nil
}

// createLease creates a lease that expires after leaseExpiry.
func (s *Store) createLease(ctx context.Context, kind string) (string, error) {
	l, err := s.client.LeasesService().Create(s.nsctx(ctx), leases.WithRandomID(), leases.WithExpiration(leaseExpiry),
		leases.WithLabel("io.pullwarden.lease", kind))
	if err != nil {
		return "", s.fail(err, "create lease")
	}
	return l.ID, nil
}

// inventory lists the namespace's blobs (digest -> size) and ingests.
func (s *Store) inventory(ctx context.Context) (map[string]int64, map[string]struct{}, error) {
	cctx := s.ctx(ctx)
	cs := s.client.ContentStore()
	blobs := map[string]int64{}
	if err := cs.Walk(cctx, func(i content.Info) error {
		blobs[i.Digest.String()] = i.Size
		return nil
	}); err != nil {
		return nil, nil, s.fail(err, "list blobs")
	}
	sts, err := cs.ListStatuses(cctx)
	if err != nil {
		return nil, nil, s.fail(err, "list ingests")
	}
	ingests := make(map[string]struct{}, len(sts))
	for _, st := range sts {
		ingests[st.Ref] = struct{}{}
	}
	return blobs, ingests, nil
}

// String names the store for messages.
func (s *Store) String() string { return fmt.Sprintf("containerd(%s)", s.namespace) }

package ocilayout

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/pullwarden/pullwarden/store"
)

// tempExpiry is the age after which GC removes a temp file outside the
// index lock's protection: temp files live for milliseconds.
const tempExpiry = time.Minute

// GC deletes unreferenced blobs not protected by a live Lease, ingests
// untouched for longer than the ingest expiry, and leftover temp files.
// It holds the store lock exclusively (new leases wait) and the index lock
// (PutImage waits) while it runs.
func (s *Store) GC(ctx context.Context) (store.GCResult, error) {
	var res store.GCResult
	if err := s.writable("collect garbage"); err != nil {
		return res, err
	}
	sl, err := lock(ctx, s.path(storeLock), true, s.opts.pollInterval)
	if err != nil {
		return res, err
	}
	defer sl.Close()
	oldest, leased, _, err := s.oldestLease()
	if err != nil {
		return res, err
	}
	s.indexMu.Lock()
	defer s.indexMu.Unlock()
	il, err := lock(ctx, s.path(indexLock), true, s.opts.pollInterval)
	if err != nil {
		return res, err
	}
	defer il.Close()
	live, err := s.mark(ctx)
	if err != nil {
		return res, err
	}
	if err := s.sweepBlobs(live, leased, oldest, &res); err != nil {
		return res, err
	}
	if err := s.sweepIngests(&res); err != nil {
		return res, err
	}
	s.sweepRootTemps()
	s.opts.logger.Debug("store gc", "dir", s.dir, "blobs", res.Blobs, "ingests", res.Ingests, "bytes", res.Bytes)
	return res, nil
}

// mark returns every blob reachable from index.json: each entry, its
// RepoDigest, and what manifests and indexes refer to.
func (s *Store) mark(ctx context.Context) (map[v1.Hash]bool, error) {
	idx, err := s.readIndex()
	if err != nil {
		return nil, err
	}
	live := map[v1.Hash]bool{}
	queue := append([]v1.Descriptor(nil), idx.Manifests...)
	for len(queue) > 0 {
		d := queue[0]
		queue = queue[1:]
		if live[d.Digest] {
			continue
		}
		live[d.Digest] = true
		kids, err := store.Children(ctx, s, d)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err // never delete on partial knowledge
		}
		queue = append(queue, kids...)
	}
	for _, d := range idx.Manifests {
		if rd, err := v1.NewHash(d.Annotations[AnnotationRepoDigest]); err == nil {
			live[rd] = true
		}
	}
	return live, nil
}

func (s *Store) sweepBlobs(live map[v1.Hash]bool, leased bool, oldest time.Time, res *store.GCResult) error {
	dir := s.path(blobsDir)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return storeErr(err, "cannot list %s: %v", dir, err)
	}
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		if isTemp(e.Name()) {
			s.removeOldTemp(p, tempExpiry)
			continue
		}
		h := v1.Hash{Algorithm: "sha256", Hex: e.Name()}
		if checkDigest(h) != nil || !e.Type().IsRegular() {
			s.opts.logger.Warn("store gc: skipping a file that is not a blob", "path", p)
			continue
		}
		if live[h] {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue
		}
		if leased && !fi.ModTime().Before(oldest) {
			continue
		}
		if err := os.Remove(p); err != nil {
			if isNotExist(err) {
				continue
			}
			return storeErr(err, "cannot remove blob %s: %v", p, err)
		}
		res.Blobs++
		res.Bytes += fi.Size()
	}
	return nil
}

// sweepIngests removes ingests that nobody writes and whose data is older
// than the ingest expiry, hash states whose data is gone, old temp files,
// and directories of the former ingest layout (ingest/<hex>/) once expired.
func (s *Store) sweepIngests(res *store.GCResult) error {
	dir := s.path(ingestDir)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return storeErr(err, "cannot list %s: %v", dir, err)
	}
	now := s.opts.now()
	expired := func(t time.Time) bool { return now.Sub(t) > s.opts.ingestExpiry }
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		switch {
		case isTemp(e.Name()):
			s.removeOldTemp(p, tempExpiry)
		case e.IsDir():
			if fi, err := os.Stat(p); err == nil && expired(fi.ModTime()) {
				if os.RemoveAll(p) == nil {
					res.Ingests++
				}
			}
		case strings.HasSuffix(e.Name(), stateSuffix):
			if _, err := os.Lstat(strings.TrimSuffix(p, stateSuffix)); isNotExist(err) {
				if fi, err := os.Lstat(p); err == nil && now.Sub(fi.ModTime()) > tempExpiry {
					_ = os.Remove(p)
				}
			}
		default:
			if _, _, ok := parseIngestName(e.Name()); !ok {
				continue
			}
			f, err := tryLockExisting(p, true)
			if err != nil || f == nil {
				continue // a writer holds it, or it is gone
			}
			fi, err := f.Stat()
			if err == nil && expired(fi.ModTime()) {
				dropIngest(p, f)
				res.Ingests++
				res.Bytes += fi.Size()
				continue
			}
			f.Close()
		}
	}
	return nil
}

func (s *Store) removeOldTemp(p string, age time.Duration) {
	fi, err := os.Lstat(p)
	if err != nil || (age > 0 && s.opts.now().Sub(fi.ModTime()) < age) {
		return
	}
	if os.Remove(p) == nil {
		s.opts.logger.Debug("store gc: removed temp file", "path", p)
	}
}

// sweepRootTemps removes leftover temp files beside index.json: those of
// index.json at once (the caller holds the index lock), others when old.
func (s *Store) sweepRootTemps() {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		age := tempExpiry
		if strings.HasPrefix(e.Name(), tmpPrefix+indexFile) {
			age = 0
		}
		if isTemp(e.Name()) {
			s.removeOldTemp(filepath.Join(s.dir, e.Name()), age)
		}
	}
}

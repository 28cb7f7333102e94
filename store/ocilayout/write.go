package ocilayout

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"sync"
	"sync/atomic"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/pullwarden/pullwarden/cause"
	"github.com/pullwarden/pullwarden/store"
)

// stateSuffix ends the name of an ingest's saved hash state, beside its
// data file: ingest/<hex>-<size>.hashstate.
const stateSuffix = ".hashstate"

// writebackEvery is how much data a writer lets accumulate in the page
// cache before it asks the kernel to start writing it out (Linux only, see
// startWriteback). Without it the whole blob is written at Commit's fsync,
// after the last byte arrived: measured on a 400 MB pull, 55-140 ms per
// 50 MB blob of waiting at the end instead of writing while downloading.
// With 1 MiB the time from the last byte to the last commit of that pull
// was 1-2.5 ms, with 8 MiB 5-11 ms (6 runs each); the calls are cheap and
// off the download's goroutine.
const writebackEvery = 1 << 20

// Writer starts or resumes writing the blob desc. It returns
// store.ErrAlreadyExists when the blob is committed, and waits while another
// writer, in this or another process, holds the same blob.
func (s *Store) Writer(ctx context.Context, desc v1.Descriptor) (store.Writer, error) {
	if err := checkDigest(desc.Digest); err != nil {
		return nil, err
	}
	if desc.Size < 0 {
		return nil, fmt.Errorf("blob %s: negative size %d", desc.Digest, desc.Size)
	}
	if err := s.exists(ctx, desc.Digest); err != nil {
		return nil, err
	}
	if err := s.writable("write blob %s", desc.Digest); err != nil {
		return nil, err
	}
	p := s.ingestPath(desc)
	f, err := lock(ctx, p, true, s.opts.pollInterval)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("blob %s is being written by another writer: %w", desc.Digest, err)
		}
		return nil, err
	}
	if err := s.exists(ctx, desc.Digest); err != nil {
		if errors.Is(err, store.ErrAlreadyExists) {
			dropIngest(p, f) // a leftover of a writer that committed
		} else {
			f.Close()
		}
		return nil, err
	}
	w := &writer{s: s, desc: desc, path: p, data: f}
	if err := w.open(); err != nil {
		f.Close()
		return nil, err
	}
	return w, nil
}

// exists returns store.ErrAlreadyExists when the blob is committed (and
// marks it used for a live lease), nil when it is not.
func (s *Store) exists(ctx context.Context, dgst v1.Hash) error {
	_, err := s.Info(ctx, dgst)
	switch {
	case err == nil:
		return fmt.Errorf("blob %s: %w", dgst, store.ErrAlreadyExists)
	case errors.Is(err, store.ErrNotFound):
		return nil
	default:
		return err
	}
}

// dropIngest removes an ingest whose data file f (holding its lock) is at
// p, with its saved hash state, then releases f.
func dropIngest(p string, f *os.File) {
	_ = os.Remove(p + stateSuffix)
	_ = os.Remove(p)
	f.Close()
}

// writer writes one blob into its ingest data file, which is also its
// lock: an exclusive flock on the open file, held until Close or Commit.
type writer struct {
	s         *Store
	desc      v1.Descriptor
	path      string // ingest/<hex>-<size>
	data      *os.File
	h         hash.Hash
	offset    int64
	flushed   int64 // writeback was started for data[:flushed]
	wb        writeback
	done      bool
	committed bool
}

// open finds where the ingest's data ends and restores the digest state.
func (w *writer) open() error {
	size, err := w.data.Seek(0, io.SeekEnd)
	if err != nil {
		return storeErr(err, "cannot read ingest %s: %v", w.path, err)
	}
	if size > w.desc.Size {
		size = 0
		if err := w.data.Truncate(0); err != nil {
			return storeErr(err, "cannot reset ingest %s: %v", w.path, err)
		}
	}
	if size, err = w.restoreHash(size); err != nil {
		return err
	}
	if _, err := w.data.Seek(size, io.SeekStart); err != nil {
		return storeErr(err, "cannot read ingest %s: %v", w.path, err)
	}
	w.offset = size
	w.flushed = size
	return nil
}

// restoreHash sets w.h to the sha256 state after the first size bytes of
// data by re-hashing them, as containerd does when it reopens an ingest:
// the saved state alone cannot tell whether the data still holds what was
// hashed. When Close saved a state, the re-hashed one must equal it; if it
// does not (a byte of the partial data changed since), the ingest starts
// over. It returns the offset to continue at.
func (w *writer) restoreHash(size int64) (int64, error) {
	w.h = sha256.New()
	saved, hasSaved := w.takeSavedHash()
	if size == 0 {
		return 0, nil
	}
	p := w.path
	if _, err := w.data.Seek(0, io.SeekStart); err != nil {
		return 0, storeErr(err, "cannot read ingest %s: %v", p, err)
	}
	n, err := io.Copy(w.h, io.LimitReader(w.data, size))
	if err != nil || n != size {
		return 0, storeErr(err, "cannot re-read ingest %s (%d of %d bytes): %v", p, n, size, err)
	}
	if hasSaved && !sameHashState(saved, size, w.h) {
		w.s.opts.logger.Warn("store: partial download changed since it was saved; starting that blob over",
			"path", p, "digest", w.desc.Digest.String(), "offset", size)
		if err := w.data.Truncate(0); err != nil {
			return 0, storeErr(err, "cannot reset ingest %s: %v", p, err)
		}
		w.h.Reset()
		return 0, nil
	}
	return size, nil
}

// takeSavedHash reads and removes the hash state Close saved, if any.
func (w *writer) takeSavedHash() (hashState, bool) {
	sp := w.path + stateSuffix
	b, err := os.ReadFile(sp)
	if err != nil {
		return hashState{}, false
	}
	_ = os.Remove(sp)
	var st hashState
	return st, parseHashState(b, &st) == nil
}

// sameHashState reports whether the saved state st describes the same
// size bytes as the running hash h.
func sameHashState(st hashState, size int64, h hash.Hash) bool {
	if st.Offset != size {
		return false
	}
	saved := sha256.New()
	u, ok := saved.(interface{ UnmarshalBinary([]byte) error })
	if !ok || u.UnmarshalBinary(st.State) != nil {
		return false
	}
	return bytes.Equal(saved.Sum(nil), h.Sum(nil))
}

func (w *writer) Write(p []byte) (int, error) {
	if w.done {
		return 0, errors.New("write to a closed blob writer")
	}
	if rest := w.desc.Size - w.offset; int64(len(p)) > rest {
		return 0, cause.New(cause.DigestMismatch, "blob %s: received more than the expected %d bytes", w.desc.Digest, w.desc.Size)
	}
	n, err := w.data.Write(p)
	w.h.Write(p[:n])
	w.offset += int64(n)
	if err != nil {
		return n, storeErr(err, "cannot write ingest %s: %v", w.path, err)
	}
	if w.offset-w.flushed >= writebackEvery && w.wb.start(w.data, w.flushed, w.offset-w.flushed) {
		w.flushed = w.offset
	}
	return n, nil
}

func (w *writer) Offset() int64 { return w.offset }

func (w *writer) Truncate(size int64) error {
	if w.done {
		return errors.New("truncate of a closed blob writer")
	}
	if size != 0 {
		return fmt.Errorf("blob %s: truncate to %d: only 0 is supported", w.desc.Digest, size)
	}
	w.wb.wait()
	if err := w.data.Truncate(0); err != nil {
		return storeErr(err, "cannot truncate ingest %s: %v", w.path, err)
	}
	if _, err := w.data.Seek(0, io.SeekStart); err != nil {
		return storeErr(err, "cannot truncate ingest %s: %v", w.path, err)
	}
	w.h.Reset()
	w.offset = 0
	w.flushed = 0
	return nil
}

func (w *writer) Commit(ctx context.Context) error {
	if w.committed {
		return nil
	}
	if w.done {
		return errors.New("commit of a closed blob writer")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if w.offset < w.desc.Size {
		return cause.Wrap(cause.NetworkError, io.ErrUnexpectedEOF,
			"blob %s: have %d of %d bytes", w.desc.Digest, w.offset, w.desc.Size)
	}
	got := v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(w.h.Sum(nil))}
	if got != w.desc.Digest {
		w.finish()
		return cause.New(cause.DigestMismatch, "blob %s: content has digest %s; the data was discarded", w.desc.Digest, got)
	}
	src := w.path
	w.wb.wait()
	if err := w.data.Sync(); err != nil {
		return storeErr(err, "cannot sync ingest %s: %v", src, err)
	}
	now := w.s.opts.now()
	if err := os.Chtimes(src, now, now); err != nil {
		return storeErr(err, "cannot set time of ingest %s: %v", src, err)
	}
	dst := w.s.blobPath(w.desc.Digest)
	// The data is durable before its name appears in blobs/. The directory
	// entry is made durable by the next PutImage (one fsync of blobs/ per
	// image), before index.json can name the blob: after a power loss a
	// committed blob that no image names yet may be missing, never wrong.
	if err := os.Rename(src, dst); err != nil {
		return storeErr(err, "cannot move %s to %s: %v", src, dst, err)
	}
	w.committed = true
	w.done = true
	w.data.Close()
	return nil
}

// finish removes the ingest and releases the writer.
func (w *writer) finish() {
	if w.done {
		return
	}
	w.done = true
	w.wb.wait()
	dropIngest(w.path, w.data)
}

func (w *writer) Close() error {
	if w.done {
		return nil
	}
	w.done = true
	w.wb.wait()
	// The state is saved while the data file, the ingest's lock, is held.
	err := w.data.Sync()
	if err != nil {
		err = storeErr(err, "cannot sync ingest %s: %v", w.path, err)
	} else {
		w.saveHash()
	}
	if cerr := w.data.Close(); err == nil && cerr != nil {
		err = cerr
	}
	return err
}

// saveHash stores the digest state beside the data so that the next writer
// can check that the data did not change; failing to save only loses that
// check (Commit's digest check remains).
func (w *writer) saveHash() {
	m, ok := w.h.(interface{ MarshalBinary() ([]byte, error) })
	if !ok {
		return
	}
	b, err := m.MarshalBinary()
	if err != nil {
		return
	}
	_ = writeJSONAtomic(w.path+stateSuffix, hashState{Offset: w.offset, State: b})
}

type hashState struct {
	Offset int64  `json:"offset"`
	State  []byte `json:"state"`
}

// writeback starts the kernel's writeback of a writer's data while the
// download goes on, one range at a time, off the writer's goroutine:
// sync_file_range can block for tens of milliseconds while ext4 allocates
// blocks, which would otherwise stall the network reads.
type writeback struct {
	busy atomic.Bool
	wg   sync.WaitGroup
}

// start begins writeback of f's [off, off+n) in the background and reports
// true, or reports false (the caller keeps the range for next time) while
// an earlier range is still being started or where writeback is not
// supported.
func (wb *writeback) start(f *os.File, off, n int64) bool {
	if !writebackSupported || !wb.busy.CompareAndSwap(false, true) {
		return false
	}
	wb.wg.Add(1)
	go func() {
		defer wb.wg.Done()
		defer wb.busy.Store(false)
		startWriteback(f, off, n)
	}()
	return true
}

// wait returns when no writeback is being started, before the file is
// synced, truncated or closed.
func (wb *writeback) wait() { wb.wg.Wait() }

package containerd

import (
	"context"
	"errors"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/errdefs"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/pullwarden/pullwarden/cause"
	"github.com/pullwarden/pullwarden/store"
)

// ingestRef is the stable ingest reference of a blob: every writer of the
// same digest, in any process, resumes the same ingest.
func ingestRef(d v1.Hash) string { return "pullwarden-" + d.String() }

// Writer implements store.Store. The ingest is containerd's: it survives
// the process and is resumed by the next Writer for the digest. While a
// Lease is held the ingest belongs to it; without one containerd keeps it
// for 24 hours.
func (s *Store) Writer(ctx context.Context, desc v1.Descriptor) (store.Writer, error) {
	if desc.Size < 0 || desc.Digest.Hex == "" {
		return nil, cause.New(cause.StoreFailed, "blob descriptor needs a digest and a size")
	}
	cctx := s.ctx(ctx)
	cs := s.client.ContentStore()
	if _, err := cs.Info(cctx, toDigest(desc.Digest)); err == nil {
		return nil, store.ErrAlreadyExists
	} else if !errdefs.IsNotFound(err) {
		return nil, s.fail(err, "blob %s", desc.Digest)
	}
	ref := ingestRef(desc.Digest)
	od := ocispec.Descriptor{MediaType: string(desc.MediaType), Digest: toDigest(desc.Digest), Size: desc.Size}
	w, err := content.OpenWriter(cctx, cs, content.WithRef(ref), content.WithDescriptor(od))
	if err != nil {
		if errdefs.IsAlreadyExists(err) {
			return nil, store.ErrAlreadyExists
		}
		if ctx.Err() != nil {
			return nil, cause.Wrap(cause.Canceled, err, "waiting for another writer of blob %s: %v", desc.Digest, err)
		}
		return nil, s.fail(err, "write blob %s", desc.Digest)
	}
	st, err := w.Status()
	if err != nil {
		w.Close()
		return nil, s.fail(err, "status of ingest %s", ref)
	}
	return &writer{s: s, w: w, ref: ref, desc: desc, offset: st.Offset, buf: make([]byte, 0, s.writeChunk)}, nil
}

type writer struct {
	s      *Store
	w      content.Writer
	ref    string
	desc   v1.Descriptor
	offset int64 // bytes accepted, buffered ones included
	buf    []byte
	err    error // sticky write error
	closed bool
}

func (w *writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	n := 0
	for len(p) > 0 {
		k := min(len(p), cap(w.buf)-len(w.buf))
		w.buf = append(w.buf, p[:k]...)
		p = p[k:]
		n += k
		w.offset += int64(k)
		if len(w.buf) == cap(w.buf) {
			if err := w.flush(); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

func (w *writer) flush() error {
	if w.err != nil {
		return w.err
	}
	if len(w.buf) == 0 {
		return nil
	}
	if _, err := w.w.Write(w.buf); err != nil {
		w.err = w.s.fail(err, "write blob %s", w.desc.Digest)
		return w.err
	}
	w.buf = w.buf[:0]
	return nil
}

func (w *writer) Offset() int64 { return w.offset }

func (w *writer) Truncate(size int64) error {
	if size != 0 {
		return cause.New(cause.StoreFailed, "truncate blob %s to %d: only 0 is supported", w.desc.Digest, size)
	}
	w.buf = w.buf[:0]
	w.err = nil
	w.offset = 0
	// The daemon truncates at the next write sent at offset 0.
	return w.w.Truncate(0)
}

func (w *writer) Commit(ctx context.Context) error {
	if err := w.flush(); err != nil {
		return err
	}
	if w.offset == 0 && w.desc.Size > 0 {
		// Nothing was sent since a Truncate: make the daemon drop the data.
		if _, err := w.w.Write(nil); err != nil {
			return w.s.fail(err, "write blob %s", w.desc.Digest)
		}
	}
	err := w.w.Commit(w.s.ctx(ctx), w.desc.Size, toDigest(w.desc.Digest))
	switch {
	case err == nil, errdefs.IsAlreadyExists(err):
		w.close()
		return nil
	case errdefs.IsFailedPrecondition(err):
		w.close()
		// Discard the bad data so that the next attempt starts from 0.
		if aerr := w.s.client.ContentStore().Abort(w.s.ctx(ctx), w.ref); aerr != nil && !errdefs.IsNotFound(aerr) {
			w.s.logger.Warn("abort ingest after mismatch", "ref", w.ref, "err", aerr)
		}
		return cause.Wrap(cause.DigestMismatch, err, "blob %s: content does not match its digest and size (%d bytes received, %d expected)", w.desc.Digest, w.offset, w.desc.Size)
	}
	return w.s.fail(err, "commit blob %s", w.desc.Digest)
}

// Close sends what is buffered and leaves the ingest for a later resume.
func (w *writer) Close() error {
	if w.closed {
		return nil
	}
	ferr := w.flush()
	w.close()
	if ferr != nil && !errors.Is(ferr, context.Canceled) {
		return ferr
	}
	return nil
}

func (w *writer) close() {
	if !w.closed {
		w.closed = true
		_ = w.w.Close()
	}
}

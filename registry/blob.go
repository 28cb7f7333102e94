package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/pullwarden/pullwarden/cause"
	"github.com/pullwarden/pullwarden/store"
)

const (
	// chunkSize is the size of writes into the store (large writes are
	// cheap for containerd's content store, one gRPC call each).
	chunkSize = 1 << 20
	// reportEvery spaces Downloading reports.
	reportEvery = 1 << 20
)

// blob downloads desc into st unless st has it, resuming at the writer's
// offset and retrying retryable failures. The store verifies the digest at
// Commit; nothing unverified becomes visible.
func (s *session) blob(ctx context.Context, st store.Store, desc v1.Descriptor, rep *reporter) error {
	what := "blob " + desc.Digest.String()
	return s.c.retry(ctx, s.t, what, func(ctx context.Context, attempt int) error {
		return s.blobAttempt(ctx, st, desc, rep, attempt)
	})
}

func (s *session) blobAttempt(ctx context.Context, st store.Store, desc v1.Descriptor, rep *reporter, attempt int) error {
	w, err := st.Writer(ctx, desc)
	if errors.Is(err, store.ErrAlreadyExists) {
		rep.report(desc, desc.Size, Present)
		return nil
	}
	if err != nil {
		return s.storeErr(ctx, err, desc)
	}
	defer w.Close()
	off := w.Offset()
	if off > desc.Size {
		if err := w.Truncate(0); err != nil {
			return s.storeErr(ctx, err, desc)
		}
		off = 0
	}
	if attempt > 1 {
		rep.report(desc, off, Retrying)
	}
	if off < desc.Size {
		if off > 0 {
			rep.report(desc, off, Resuming)
		} else {
			rep.report(desc, off, Downloading)
		}
		kept, err := s.transfer(ctx, w, desc, off, rep)
		if err != nil {
			return err
		}
		if attempt == 1 {
			// What the first attempt continued from was left by an
			// earlier call; later attempts continue from this one's.
			s.resumed.add(kept)
		}
	}
	rep.report(desc, desc.Size, Verifying)
	if err := w.Commit(ctx); err != nil {
		if errors.Is(err, cause.DigestMismatch) {
			return cause.Wrap(cause.DigestMismatch, err, "blob %s from registry %s, repository %q, does not match its digest",
				desc.Digest, s.t.host, s.repo)
		}
		return s.storeErr(ctx, err, desc)
	}
	rep.report(desc, desc.Size, Done)
	return nil
}

// storeErr classifies a store failure: cancellation stays Canceled, a
// *cause.Error keeps its cause, anything else is StoreFailed.
func (s *session) storeErr(ctx context.Context, err error, desc v1.Descriptor) error {
	var ce *cause.Error
	if ctx.Err() != nil || errors.As(err, &ce) {
		return err
	}
	return cause.Wrap(cause.StoreFailed, err, "writing blob %s to the store failed: %s", desc.Digest, sanitize(err.Error()))
}

// transfer GETs desc from byte off (with Range when off > 0) into w. A
// registry answering 200 to a Range request sends the whole blob: w is
// truncated and written from the start. It returns how many bytes it kept
// (off when the registry continued from there, else 0).
func (s *session) transfer(ctx context.Context, w store.Writer, desc v1.Descriptor, off int64, rep *reporter) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url("blobs", desc.Digest.String()), nil)
	if err != nil {
		return 0, err
	}
	if off > 0 {
		// An explicit end: some registries (ggcr's) reject open ranges.
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", off, desc.Size-1))
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusPartialContent && off > 0:
		cr, ok := parseContentRange(resp.Header.Get("Content-Range"))
		if !ok || cr.start != off {
			if err := w.Truncate(0); err != nil {
				return 0, s.storeErr(ctx, err, desc)
			}
			return 0, fmt.Errorf("%w: Content-Range %q does not start at %d", errShortBody, sanitize(resp.Header.Get("Content-Range")), off)
		}
		if cr.total >= 0 && cr.total != desc.Size {
			return 0, s.sizeLie(desc, cr.total)
		}
	case resp.StatusCode == http.StatusOK:
		// A Content-Length short of desc.Size may be a truncating proxy
		// as well as a registry holding fewer bytes: the body is read and
		// resumed, and a registry that has no more answers the resume 416.
		if off > 0 {
			s.c.opts.Logger.DebugContext(ctx, "registry ignored Range; downloading from the start",
				"host", s.t.host, "digest", desc.Digest.String())
			if err := w.Truncate(0); err != nil {
				return 0, s.storeErr(ctx, err, desc)
			}
			off = 0
		}
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable && off > 0:
		return 0, cause.New(cause.ProtocolError,
			"registry %s has fewer than the %d bytes of blob %s of repository %q that the manifest lists (416 to a request from byte %d)",
			s.t.host, desc.Size, desc.Digest, s.repo, off)
	default:
		return 0, checkResponse(resp, s.c.opts.Clock.Now(), http.StatusOK)
	}
	return off, s.copyBody(ctx, w, desc, off, resp.Body, rep)
}

// copyBody writes the rest of desc (from off) from body into w in chunks.
func (s *session) copyBody(ctx context.Context, w store.Writer, desc v1.Descriptor, off int64, body io.Reader, rep *reporter) error {
	body = &countingReader{r: io.LimitReader(body, desc.Size-off), s: s}
	buf := make([]byte, min(chunkSize, desc.Size-off))
	done, reported := off, off
	for done < desc.Size {
		n, rerr := io.ReadFull(body, buf[:min(int64(len(buf)), desc.Size-done)])
		if n > 0 {
			if _, err := w.Write(buf[:n]); err != nil {
				return s.storeErr(ctx, err, desc)
			}
			done += int64(n)
			if done-reported >= reportEvery {
				rep.report(desc, done, Downloading)
				reported = done
			}
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			if done < desc.Size {
				return s.madeProgress(fmt.Errorf("%w after %d of %d bytes", errShortBody, done, desc.Size), done-off)
			}
		} else if rerr != nil {
			return s.madeProgress(rerr, done-off)
		}
	}
	return nil
}

// madeProgress marks err as the end of an attempt that progressed when it
// stored at least MinProgress bytes.
func (s *session) madeProgress(err error, n int64) error {
	if n >= s.c.opts.MinProgress {
		return &progressed{err: err, bytes: n}
	}
	return err
}

// contentRange is a parsed Content-Range "bytes start-end/total"; total is
// -1 when the registry sent "*".
type contentRange struct{ start, end, total int64 }

// parseContentRange parses a Content-Range of a 206 answer strictly.
func parseContentRange(v string) (contentRange, bool) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(v), "bytes ")
	if !ok {
		return contentRange{}, false
	}
	span, total, ok := strings.Cut(rest, "/")
	if !ok {
		return contentRange{}, false
	}
	a, b, ok := strings.Cut(span, "-")
	if !ok {
		return contentRange{}, false
	}
	var cr contentRange
	var err error
	if cr.start, err = parseCount(a); err != nil {
		return contentRange{}, false
	}
	if cr.end, err = parseCount(b); err != nil || cr.end < cr.start {
		return contentRange{}, false
	}
	cr.total = -1
	if total != "*" {
		if cr.total, err = parseCount(total); err != nil || cr.total <= cr.end {
			return contentRange{}, false
		}
	}
	return cr, true
}

// parseCount parses a non-negative decimal byte count (digits only).
func parseCount(s string) (int64, error) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, errors.New("not a byte count")
	}
	return strconv.ParseInt(s, 10, 64)
}

// sizeLie is the failure of a registry whose answer gives a blob another
// size than the manifest: retrying cannot help.
func (s *session) sizeLie(desc v1.Descriptor, got int64) error {
	return cause.New(cause.ProtocolError,
		"registry %s gives blob %s of repository %q %d bytes (Content-Range), but the manifest lists %d",
		s.t.host, desc.Digest, s.repo, got, desc.Size)
}

// countingReader counts received bytes for the session.
type countingReader struct {
	r io.Reader
	s *session
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		c.s.downloaded.add(int64(n))
	}
	return n, err
}

package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/pullwarden/pullwarden/cause"
	"github.com/pullwarden/pullwarden/store"
)

func testWriteCommitRead(t *testing.T, f Factory) {
	s := f.New(t)
	data := RandomBytes(64 << 10)
	d := Descriptor(types.OCILayer, data)
	w := mustWriter(t, s, d)
	if w.Offset() != 0 {
		t.Fatalf("fresh writer Offset = %d", w.Offset())
	}
	mustWrite(t, w, data[:1000])
	assertAbsent(t, s, d.Digest) // not visible before Commit
	mustWrite(t, w, data[1000:])
	if w.Offset() != int64(len(data)) {
		t.Fatalf("Offset = %d, want %d", w.Offset(), len(data))
	}
	if err := w.Commit(t.Context()); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close after Commit: %v", err)
	}
	assertContent(t, s, d.Digest, data)
	if ok, err := store.Has(t.Context(), s, d.Digest); !ok || err != nil {
		t.Fatalf("Has = %v, %v", ok, err)
	}
}

func testEmptyBlob(t *testing.T, f Factory) {
	s := f.New(t)
	d := mustBlob(t, s, []byte{})
	assertContent(t, s, d.Digest, []byte{})
}

func testUnknownBlob(t *testing.T, f Factory) {
	s := f.New(t)
	assertAbsent(t, s, Descriptor(types.OCILayer, []byte("never written")).Digest)
}

// resume writes half of a blob through one writer, closes it, and returns
// the data and descriptor.
func writeHalf(t *testing.T, s store.Store) ([]byte, int) {
	t.Helper()
	data := RandomBytes(100 << 10)
	half := len(data) / 2
	w := mustWriter(t, s, Descriptor(types.OCILayer, data))
	mustWrite(t, w, data[:half])
	if err := w.Close(); err != nil {
		t.Fatalf("Close without Commit: %v", err)
	}
	return data, half
}

func finishResumed(t *testing.T, s store.Store, data []byte, half int) {
	t.Helper()
	d := Descriptor(types.OCILayer, data)
	assertAbsent(t, s, d.Digest)
	w := mustWriter(t, s, d)
	defer w.Close()
	if got := w.Offset(); got != int64(half) {
		t.Fatalf("resumed Offset = %d, want %d", got, half)
	}
	mustWrite(t, w, data[half:])
	if err := w.Commit(t.Context()); err != nil {
		t.Fatalf("Commit after resume: %v", err)
	}
	assertContent(t, s, d.Digest, data)
}

func testResumeAfterClose(t *testing.T, f Factory) {
	s := f.New(t)
	data, half := writeHalf(t, s)
	finishResumed(t, s, data, half)
}

func testResumeThroughReopen(t *testing.T, f Factory) {
	if f.Reopen == nil {
		t.Skip("Factory.Reopen not set")
	}
	s := f.New(t)
	data, half := writeHalf(t, s)
	s2 := f.Reopen(t, s)
	finishResumed(t, s2, data, half)
	assertContent(t, s, Descriptor(types.OCILayer, data).Digest, data)
}

func testTruncate(t *testing.T, f Factory) {
	s := f.New(t)
	data := RandomBytes(10 << 10)
	d := Descriptor(types.OCILayer, data)
	w := mustWriter(t, s, d)
	defer w.Close()
	mustWrite(t, w, RandomBytes(3000)) // wrong bytes, e.g. a body that ignored Range
	if err := w.Truncate(0); err != nil {
		t.Fatalf("Truncate(0): %v", err)
	}
	if w.Offset() != 0 {
		t.Fatalf("Offset after Truncate(0) = %d", w.Offset())
	}
	mustWrite(t, w, data)
	if err := w.Commit(t.Context()); err != nil {
		t.Fatalf("Commit after Truncate: %v", err)
	}
	assertContent(t, s, d.Digest, data)
}

func testDigestMismatch(t *testing.T, f Factory) {
	s := f.New(t)
	data := RandomBytes(4096)
	d := Descriptor(types.OCILayer, data)
	w := mustWriter(t, s, d)
	bad := append([]byte(nil), data...)
	bad[100] ^= 0xff
	mustWrite(t, w, bad)
	err := w.Commit(t.Context())
	if !errors.Is(err, cause.DigestMismatch) {
		t.Fatalf("Commit of wrong content = %v, want cause.DigestMismatch", err)
	}
	_ = w.Close()
	assertAbsent(t, s, d.Digest)
	// The bad data is gone: a new writer starts from zero and succeeds.
	w2 := mustWriter(t, s, d)
	defer w2.Close()
	if w2.Offset() != 0 {
		t.Fatalf("Offset after a digest mismatch = %d, want 0 (bad data kept)", w2.Offset())
	}
	mustWrite(t, w2, data)
	if err := w2.Commit(t.Context()); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	assertContent(t, s, d.Digest, data)
}

func testSizeTooSmall(t *testing.T, f Factory) {
	s := f.New(t)
	data := RandomBytes(4096)
	d := Descriptor(types.OCILayer, data)
	d.Size++ // the descriptor promises one byte more than will come
	w := mustWriter(t, s, d)
	defer w.Close()
	mustWrite(t, w, data)
	if err := w.Commit(t.Context()); err == nil {
		t.Fatal("Commit with fewer bytes than the descriptor's size succeeded")
	}
	assertAbsent(t, s, d.Digest)
}

func testSizeTooLarge(t *testing.T, f Factory) {
	s := f.New(t)
	data := RandomBytes(4096)
	d := Descriptor(types.OCILayer, data)
	d.Size-- // the data has one byte more than the descriptor says
	w := mustWriter(t, s, d)
	defer w.Close()
	_, werr := w.Write(data)
	cerr := w.Commit(t.Context())
	if werr == nil && cerr == nil {
		t.Fatal("writing more bytes than the descriptor's size succeeded")
	}
	assertAbsent(t, s, d.Digest)
}

func testAlreadyExists(t *testing.T, f Factory) {
	s := f.New(t)
	d := mustBlob(t, s, RandomBytes(512))
	if _, err := s.Writer(t.Context(), d); !errors.Is(err, store.ErrAlreadyExists) {
		t.Fatalf("Writer on a committed blob = %v, want ErrAlreadyExists", err)
	}
}

// testWriterWaits: a second writer for a held blob waits until its ctx ends.
func testWriterWaits(t *testing.T, f Factory) {
	s := f.New(t)
	data := RandomBytes(2048)
	d := Descriptor(types.OCILayer, data)
	w := mustWriter(t, s, d)
	defer w.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	w2, err := s.Writer(ctx, d)
	if err == nil {
		w2.Close()
		t.Fatal("a second writer got a blob another writer holds")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second writer = %v, want context.DeadlineExceeded", err)
	}
}

// testWriterRace: the second writer gets the blob after the first commits
// it, as ErrAlreadyExists or as a writer whose Commit succeeds.
func testWriterRace(t *testing.T, f Factory) {
	s := f.New(t)
	data := RandomBytes(8192)
	d := Descriptor(types.OCILayer, data)
	w1 := mustWriter(t, s, d)
	type result struct {
		w   store.Writer
		err error
	}
	got := make(chan result, 1)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	go func() {
		w, err := s.Writer(ctx, d)
		got <- result{w, err}
	}()
	mustWrite(t, w1, data[:4096])
	select {
	case r := <-got:
		t.Fatalf("second writer returned while the first holds the blob: %v", r.err)
	default:
	}
	mustWrite(t, w1, data[4096:])
	if err := w1.Commit(t.Context()); err != nil {
		t.Fatalf("first Commit: %v", err)
	}
	_ = w1.Close()
	r := <-got
	switch {
	case errors.Is(r.err, store.ErrAlreadyExists):
	case r.err != nil:
		t.Fatalf("second writer: %v", r.err)
	default:
		defer r.w.Close()
		if r.w.Offset() < int64(len(data)) {
			if err := r.w.Truncate(0); err != nil {
				t.Fatal(err)
			}
			mustWrite(t, r.w, data)
		}
		if err := r.w.Commit(t.Context()); err != nil {
			t.Fatalf("second Commit of a committed blob: %v", err)
		}
	}
	assertContent(t, s, d.Digest, data)
}

package ocilayout

import (
	"bytes"
	"errors"
	"os"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/pullwarden/pullwarden/cause"
	"github.com/pullwarden/pullwarden/store"
	"github.com/pullwarden/pullwarden/store/storetest"
)

// TestResumeAfterPartialDataChanged: a byte of a partial download that
// changes between two writers (same length) never reaches a committed
// blob. With the state Close saved, the change is found when the next
// writer opens the ingest and the blob starts over; without it (a crash),
// Commit's digest check refuses the blob.
func TestResumeAfterPartialDataChanged(t *testing.T) {
	t.Parallel()
	data := largeBlob(7)
	d := storetest.Descriptor(types.OCILayer, data)
	cut := 3*writebackEvery + 99
	tests := []struct {
		name       string
		keepState  bool
		wantOffset int64
		wantErr    error
	}{
		{name: "state saved by Close", keepState: true, wantOffset: 0},
		{name: "no saved state (crash)", keepState: false, wantOffset: int64(cut), wantErr: cause.DigestMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			s := openTest(t, dir)
			w, err := s.Writer(t.Context(), d)
			if err != nil {
				t.Fatal(err)
			}
			writeChunks(t, w, data[:cut])
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(ingestFile(dir, d, ingestState)); err != nil {
				t.Fatalf("Close saved no hash state: %v", err)
			}
			if !tt.keepState {
				if err := os.Remove(ingestFile(dir, d, ingestState)); err != nil {
					t.Fatal(err)
				}
			}
			flipByte(t, ingestFile(dir, d, ingestData), int64(cut/2))

			s = openTest(t, dir)
			w, err = s.Writer(t.Context(), d)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			if w.Offset() != tt.wantOffset {
				t.Fatalf("Offset = %d after the partial data changed, want %d", w.Offset(), tt.wantOffset)
			}
			writeChunks(t, w, data[w.Offset():])
			err = w.Commit(t.Context())
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Commit: %v, want %v", err, tt.wantErr)
			}
			got, rerr := readBlob(t, s, d.Digest)
			if tt.wantErr != nil {
				if !errors.Is(rerr, store.ErrNotFound) {
					t.Fatalf("a blob built on changed data is readable (%v)", rerr)
				}
				return
			}
			if rerr != nil || !bytes.Equal(got, data) {
				t.Fatalf("committed blob differs from the data (%d bytes, %v)", len(got), rerr)
			}
			probs, err := s.Verify(t.Context())
			if err != nil || len(probs) > 0 {
				t.Fatalf("Verify after the resume: %v %v", probs, err)
			}
		})
	}
}

// flipByte changes one byte of the file at p in place, keeping its length.
func flipByte(t *testing.T, p string, off int64) {
	t.Helper()
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0xff
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

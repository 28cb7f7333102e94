package ocilayout

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/pullwarden/pullwarden/cause"
	"github.com/pullwarden/pullwarden/store"
	"github.com/pullwarden/pullwarden/store/storetest"
)

// largeBlob is bigger than writebackEvery several times over, so writes
// start background writeback while they go on.
func largeBlob(seed uint64) []byte {
	b := make([]byte, 5*writebackEvery+12345)
	r := rand.New(rand.NewPCG(seed, seed))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// writeChunks writes p in 1 MiB pieces, as the registry client does.
func writeChunks(t *testing.T, w store.Writer, p []byte) {
	t.Helper()
	for len(p) > 0 {
		n := min(len(p), 1<<20)
		if _, err := w.Write(p[:n]); err != nil {
			t.Fatal(err)
		}
		p = p[n:]
	}
}

// TestWriterLargeBlobs: blobs large enough for background writeback keep
// every writer guarantee: resume after Close at the saved hash state, a
// Truncate that starts over, and a digest check that keeps bad data out.
func TestWriterLargeBlobs(t *testing.T) {
	t.Parallel()
	data := largeBlob(1)
	d := storetest.Descriptor(types.OCILayer, data)
	cut := 2*writebackEvery + writebackEvery/2 + 7 // past two writeback ranges, mid-range
	tests := []struct {
		name string
		// first writes into the first writer, which is then closed;
		// second into a second writer from its Offset, which commits.
		first, second func(t *testing.T, w store.Writer)
		wantOffset    int64 // of the second writer
		wantErr       error // of Commit
	}{
		{
			name:       "resume after close",
			first:      func(t *testing.T, w store.Writer) { writeChunks(t, w, data[:cut]) },
			second:     func(t *testing.T, w store.Writer) { writeChunks(t, w, data[cut:]) },
			wantOffset: int64(cut),
		},
		{
			name:  "truncate and start over",
			first: func(t *testing.T, w store.Writer) { writeChunks(t, w, largeBlob(2)[:cut]) },
			second: func(t *testing.T, w store.Writer) {
				if err := w.Truncate(0); err != nil {
					t.Fatal(err)
				}
				writeChunks(t, w, data)
			},
			wantOffset: int64(cut),
		},
		{
			name:       "wrong content",
			first:      func(t *testing.T, w store.Writer) {},
			second:     func(t *testing.T, w store.Writer) { writeChunks(t, w, largeBlob(3)[:len(data)]) },
			wantOffset: 0,
			wantErr:    cause.DigestMismatch,
		},
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
			tt.first(t, w)
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}

			s = openTest(t, dir) // as another process would
			w, err = s.Writer(t.Context(), d)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			if w.Offset() != tt.wantOffset {
				t.Fatalf("Offset = %d, want %d", w.Offset(), tt.wantOffset)
			}
			tt.second(t, w)
			err = w.Commit(t.Context())
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Commit: %v, want %v", err, tt.wantErr)
			}
			got, rerr := readBlob(t, s, d.Digest)
			if tt.wantErr != nil {
				if !errors.Is(rerr, store.ErrNotFound) {
					t.Fatalf("after a failed Commit the blob is readable (%v)", rerr)
				}
				return
			}
			if rerr != nil {
				t.Fatal(rerr)
			}
			if !bytes.Equal(got, data) {
				t.Fatalf("committed blob differs from the data written (%d bytes, want %d)", len(got), len(data))
			}
			if _, err := os.Stat(ingestFile(dir, d, ingestData)); !os.IsNotExist(err) {
				t.Fatalf("ingest data left after Commit: %v", err)
			}
		})
	}
}

func readBlob(t *testing.T, s *Store, d v1.Hash) ([]byte, error) {
	t.Helper()
	rc, err := s.Open(t.Context(), d)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

package containerd_test

import (
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/pullwarden/pullwarden/internal/testcontainerd"
	"github.com/pullwarden/pullwarden/store/containerd"
	"github.com/pullwarden/pullwarden/store/storetest"
)

// BenchmarkWriteChunk writes a 50 MiB blob in the registry client's 1 MiB
// pieces through Writers of several chunk sizes, against a private
// containerd. A chunk is what a kill -9 can lose per blob in flight.
//
//	go test -run '^$' -bench WriteChunk -benchtime 5x ./store/containerd/
func BenchmarkWriteChunk(b *testing.B) {
	c := testcontainerd.Start(b)
	data := storetest.RandomBytes(50 << 20)
	for _, chunk := range []int{256 << 10, 512 << 10, 1 << 20, 2 << 20, 4 << 20} {
		b.Run(fmt.Sprintf("%dKiB", chunk>>10), func(b *testing.B) {
			s, err := containerd.Open(b.Context(), c.Address, containerd.WithWriteChunk(chunk), containerd.WithUnpack(false))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			b.SetBytes(int64(len(data)))
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				binary.LittleEndian.PutUint64(data, uint64(chunk)<<20+uint64(i))
				desc := storetest.Descriptor(types.OCILayer, data)
				b.StartTimer()
				w, err := s.Writer(b.Context(), desc)
				if err != nil {
					b.Fatal(err)
				}
				for p := data; len(p) > 0; p = p[min(len(p), 1<<20):] {
					if _, err := w.Write(p[:min(len(p), 1<<20)]); err != nil {
						b.Fatal(err)
					}
				}
				if err := w.Commit(b.Context()); err != nil {
					b.Fatal(err)
				}
				w.Close()
			}
		})
	}
}

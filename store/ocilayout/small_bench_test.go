package ocilayout

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/pullwarden/pullwarden/store"
	"github.com/pullwarden/pullwarden/store/storetest"
)

// BenchmarkSmallBlobsImage stores an image of 60 layers of 100 KiB the way
// a pull does: under a Lease, 4 blobs at once (Writer, one Write, Commit,
// Close), then the manifest and PutImage. Each iteration uses a fresh store.
//
//	go test -run '^$' -bench SmallBlobs -benchtime 20x ./store/ocilayout/
func BenchmarkSmallBlobsImage(b *testing.B) {
	const n, size, slots = 60, 100 << 10, 4
	base := storetest.RandomBytes(size)
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		layers := make([][]byte, n)
		descs := make([]v1.Descriptor, n)
		for j := range layers {
			layers[j] = append([]byte(nil), base...)
			binary.LittleEndian.PutUint64(layers[j], uint64(i*n+j))
			descs[j] = storetest.Descriptor(types.OCILayer, layers[j])
		}
		m, _ := json.Marshal(v1.Manifest{SchemaVersion: 2, MediaType: types.OCIManifestSchema1, Config: descs[0], Layers: descs[1:]})
		md := storetest.Descriptor(types.OCIManifestSchema1, m)
		s, err := Open(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		b.StartTimer()
		release, err := s.Lease(ctx)
		if err != nil {
			b.Fatal(err)
		}
		var wg sync.WaitGroup
		next := make(chan int)
		for range slots {
			wg.Go(func() {
				for j := range next {
					if err := writeOne(ctx, s, descs[j], layers[j]); err != nil {
						b.Error(err)
					}
				}
			})
		}
		for j := range n {
			next <- j
		}
		close(next)
		wg.Wait()
		if err := writeOne(ctx, s, md, m); err != nil {
			b.Fatal(err)
		}
		if err := s.PutImage(ctx, store.Image{Name: "example.com/small:1", Target: md}); err != nil {
			b.Fatal(err)
		}
		if err := release(); err != nil {
			b.Fatal(err)
		}
	}
}

func writeOne(ctx context.Context, s *Store, d v1.Descriptor, data []byte) error {
	w, err := s.Writer(ctx, d)
	if err != nil {
		return err
	}
	defer w.Close()
	if _, err := w.Write(data); err != nil {
		return err
	}
	return w.Commit(ctx)
}

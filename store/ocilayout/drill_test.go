package ocilayout

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/pullwarden/pullwarden/store"
	"github.com/pullwarden/pullwarden/store/storetest"
)

// drillImages is how many images of drillLayers small layers the drill's
// helper process writes, the same ones in every process.
const (
	drillImages = 40
	drillLayers = 20
)

// drillBlob is layer j of image i: the same bytes in every process, so a
// killed writer's ingest is resumed by the next process.
func drillBlob(i, j int) []byte {
	b := make([]byte, 30<<10+j*1000)
	r := rand.New(rand.NewPCG(uint64(i), uint64(j)))
	for k := 0; k+8 <= len(b); k += 8 {
		binary.LittleEndian.PutUint64(b[k:], r.Uint64())
	}
	return b
}

// writeDrillImages is the drill's helper action: every image, 4 blobs at
// once under a Lease, as a pull writes them, then its name.
func writeDrillImages(ctx context.Context, s *Store) error {
	release, err := s.Lease(ctx)
	if err != nil {
		return err
	}
	defer release()
	for i := range drillImages {
		descs := make([]v1.Descriptor, drillLayers)
		errs := make([]error, drillLayers)
		var wg sync.WaitGroup
		sem := make(chan struct{}, 4)
		for j := range drillLayers {
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				descs[j], errs[j] = storetest.WriteBlob(ctx, s, types.OCILayer, drillBlob(i, j))
			})
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				return err
			}
		}
		m, _ := json.Marshal(v1.Manifest{SchemaVersion: 2, MediaType: types.OCIManifestSchema1, Config: descs[0], Layers: descs[1:]})
		md, err := storetest.WriteBlob(ctx, s, types.OCIManifestSchema1, m)
		if err != nil {
			return err
		}
		if err := s.PutImage(ctx, store.Image{Name: fmt.Sprintf("example.com/drill:%d", i), Target: md}); err != nil {
			return err
		}
	}
	return nil
}

// TestProcessKillDrill: processes writing many small blobs and naming
// images are killed (SIGKILL) at random moments, one after another on the
// same store. After every kill the store verifies clean: no blob whose
// content differs from its name, every named image complete. The last
// process, not killed, finishes the work, resuming what the others left.
func TestProcessKillDrill(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	openTest(t, dir)
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	const kills = 8
	for k := range kills + 1 {
		cmd := helper(t, dir, "drill")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if k < kills {
			time.Sleep(time.Duration(20+r.IntN(300)) * time.Millisecond)
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		} else if err := cmd.Wait(); err != nil {
			t.Fatalf("the last process: %v", err)
		}
		s := openTest(t, dir)
		probs, err := s.Verify(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range probs {
			t.Errorf("after kill %d: %v", k+1, p.Err)
		}
		if t.Failed() {
			t.FailNow()
		}
	}
	imgs, err := openTest(t, dir).Images(t.Context())
	if err != nil || len(imgs) != drillImages {
		t.Fatalf("images after the drill: %d, %v; want %d", len(imgs), err, drillImages)
	}
	left, _ := os.ReadDir(dir + "/" + ingestDir)
	if len(left) != 0 {
		t.Errorf("ingests left after the last process finished: %d", len(left))
	}
}

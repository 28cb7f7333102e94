package ocilayout

import (
	"os"
	"testing"

	"github.com/pullwarden/pullwarden/store"
	"github.com/pullwarden/pullwarden/store/storetest"
)

// TestRepairImage: RepairImage finds a corrupt layer and a missing config,
// deletes the corrupt layer so that the image is incomplete (its next pull
// fetches it), and leaves the sound blobs alone.
func TestRepairImage(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := t.TempDir()
	s := openTest(t, dir)
	b, err := storetest.WriteImage(ctx, s, 3)
	if err != nil {
		t.Fatal(err)
	}
	img := store.Image{Name: "example.com/a:1", Target: b.Manifest}
	if err := s.PutImage(ctx, img); err != nil {
		t.Fatal(err)
	}
	if dmg, err := store.RepairImage(ctx, s, img); err != nil || len(dmg) != 0 {
		t.Fatalf("RepairImage of a sound image: %v %v", dmg, err)
	}
	bad := b.Layers[1].Digest
	flipByte(t, s.blobPath(bad), 10)
	if err := os.Remove(s.blobPath(b.Config.Digest)); err != nil {
		t.Fatal(err)
	}
	if ok, _ := store.Complete(ctx, s, img); ok {
		t.Fatal("precondition: the image is complete without its config")
	}
	dmg, err := store.RepairImage(ctx, s, img)
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]store.Damage{}
	for _, d := range dmg {
		found[d.Digest.String()] = d
	}
	if d, ok := found[bad.String()]; len(dmg) != 2 || !ok || !d.Removed || d.Missing {
		t.Fatalf("damage = %+v, want the corrupt layer removed and the missing config", dmg)
	}
	if d := found[b.Config.Digest.String()]; !d.Missing || d.Removed {
		t.Fatalf("config damage = %+v, want missing", d)
	}
	if _, err := os.Stat(s.blobPath(bad)); !os.IsNotExist(err) {
		t.Fatalf("the corrupt blob is still there (%v)", err)
	}
	for _, l := range []int{0, 2} {
		if _, err := s.Info(ctx, b.Layers[l].Digest); err != nil {
			t.Fatalf("sound layer %d: %v", l, err)
		}
	}
	if removed, err := s.RemoveDamagedBlob(ctx, b.Layers[0].Digest); removed || err != nil {
		t.Fatalf("RemoveDamagedBlob of a sound blob: %v %v", removed, err)
	}
}

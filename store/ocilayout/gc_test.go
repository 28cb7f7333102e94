package ocilayout

import (
	"github.com/pullwarden/pullwarden/clock"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/pullwarden/pullwarden/store/storetest"
)

func TestGCIngestsAndTemps(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(time.Now())
	dir := t.TempDir()
	s := openTest(t, dir, WithClock(clk), WithIngestExpiry(time.Hour))
	ctx := t.Context()

	stale := storetest.Descriptor(types.OCILayer, storetest.RandomBytes(5000))
	w, err := s.Writer(ctx, stale)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(storetest.RandomBytes(1000)); err != nil {
		t.Fatal(err)
	}
	w.Close()
	held := storetest.Descriptor(types.OCILayer, storetest.RandomBytes(5000))
	hw, err := s.Writer(ctx, held)
	if err != nil {
		t.Fatal(err)
	}
	defer hw.Close()
	temps := []string{
		filepath.Join(dir, tmpPrefix+"index.json-dead"),
		filepath.Join(dir, blobsDir, tmpPrefix+"x"),
		filepath.Join(dir, ingestDir, tmpPrefix+stale.Digest.Hex+"-5000.hashstate-x"),
	}
	for _, p := range temps {
		if err := os.WriteFile(p, []byte("tmp"), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// Within the expiry nothing but the index.json temp file goes.
	res, err := s.GC(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Ingests != 0 {
		t.Fatalf("GC within the expiry removed %d ingests", res.Ingests)
	}
	if _, err := os.Stat(temps[0]); !os.IsNotExist(err) {
		t.Errorf("GC kept %s", temps[0])
	}
	if _, err := os.Stat(temps[2]); err != nil {
		t.Errorf("GC removed a fresh temp file %s beside the ingests: %v", temps[2], err)
	}

	clk.Step(2 * time.Hour)
	res, err = s.GC(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Ingests != 1 || res.Bytes != 1000 {
		t.Fatalf("GC after the expiry = %+v, want the one idle ingest of 1000 bytes", res)
	}
	if _, err := os.Stat(ingestFile(dir, stale, ingestData)); !os.IsNotExist(err) {
		t.Errorf("expired ingest still there: %v", err)
	}
	if _, err := os.Stat(ingestFile(dir, held, ingestData)); err != nil {
		t.Errorf("GC removed an ingest a writer holds: %v", err)
	}
	for _, p := range temps[1:] {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("GC kept old temp file %s", p)
		}
	}
}

// TestGCRemovesDeadLeases: a lease file nobody holds (its process died)
// protects nothing and is removed.
func TestGCRemovesDeadLeases(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := openTest(t, dir)
	dead := filepath.Join(dir, leasesDir, "deadbeef")
	if err := os.WriteFile(dead, []byte(`{"started":"2000-01-01T00:00:00Z"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := storetest.WriteBlob(t.Context(), s, types.OCILayer, []byte("loose"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.GC(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if res.Blobs != 1 {
		t.Errorf("GC removed %d blobs, want the loose one", res.Blobs)
	}
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Errorf("dead lease file kept: %v", err)
	}
	if _, err := os.Stat(s.blobPath(d.Digest)); !os.IsNotExist(err) {
		t.Errorf("blob kept by a dead lease")
	}
}

// TestLeaseProtectsReusedBlob: a blob committed before a lease and found
// again by Writer under the lease survives GC.
func TestLeaseProtectsReusedBlob(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(time.Now())
	s := openTest(t, t.TempDir(), WithClock(clk))
	ctx := t.Context()
	data := []byte("old layer")
	d, err := storetest.WriteBlob(ctx, s, types.OCILayer, data)
	if err != nil {
		t.Fatal(err)
	}
	clk.Step(time.Hour)
	release, err := s.Lease(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if _, err := s.Writer(ctx, d); err == nil {
		t.Fatal("Writer of a committed blob succeeded")
	}
	if _, err := s.GC(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Info(ctx, d.Digest); err != nil {
		t.Fatalf("blob reused under a lease was collected: %v", err)
	}
}

func TestDefaultDir(t *testing.T) {
	t.Setenv("PULLWARDEN_STORE", "/x/store")
	if got := DefaultDir(); got != "/x/store" {
		t.Errorf("with PULLWARDEN_STORE: %s", got)
	}
	t.Setenv("PULLWARDEN_STORE", "")
	t.Setenv("XDG_DATA_HOME", "/data")
	if got := DefaultDir(); got != "/data/pullwarden/store" {
		t.Errorf("with XDG_DATA_HOME: %s", got)
	}
	t.Setenv("XDG_DATA_HOME", "")
	t.Setenv("HOME", "/home/u")
	if got := DefaultDir(); got != "/home/u/.local/share/pullwarden/store" {
		t.Errorf("default: %s", got)
	}
}

package containerd_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/pullwarden/pullwarden/cause"
	"github.com/pullwarden/pullwarden/internal/testcontainerd"
	"github.com/pullwarden/pullwarden/internal/testimage"
	"github.com/pullwarden/pullwarden/runtime/cri"
	"github.com/pullwarden/pullwarden/store"
	"github.com/pullwarden/pullwarden/store/containerd"
	"github.com/pullwarden/pullwarden/store/storetest"
)

// TestResumeAfterReconnect: a writer interrupted after 6 MiB (more than
// one gRPC chunk) leaves the ingest in containerd; a new client, as a
// restarted process would make, resumes at exactly that offset.
func TestResumeAfterReconnect(t *testing.T) {
	t.Parallel()
	c := testcontainerd.Start(t)
	data := storetest.RandomBytes(9<<20 + 123)
	desc := storetest.Descriptor(types.OCILayer, data)
	const cut = 6<<20 + 7

	s1 := open(t, c.Address)
	w, err := s1.Writer(t.Context(), desc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data[:cut]); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	s1.Close()

	s2 := open(t, c.Address)
	w, err = s2.Writer(t.Context(), desc)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if w.Offset() != cut {
		t.Fatalf("resumed at %d, want %d", w.Offset(), cut)
	}
	if _, err := w.Write(data[cut:]); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(t.Context()); err != nil {
		t.Fatal(err)
	}
	rc, err := s2.Open(t.Context(), desc.Digest)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes (err %v), want the %d written", len(got), err, len(data))
	}
}

// TestWrongDigestNeverLands: content that does not match its digest is
// refused with DigestMismatch, is not readable, and leaves no ingest.
func TestWrongDigestNeverLands(t *testing.T) {
	t.Parallel()
	c := testcontainerd.Start(t)
	s := open(t, c.Address)
	good := storetest.RandomBytes(5<<20 + 1)
	desc := storetest.Descriptor(types.OCILayer, good)
	bad := bytes.Clone(good)
	bad[len(bad)/2] ^= 0xff
	w, err := s.Writer(t.Context(), desc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(bad); err != nil {
		t.Fatal(err)
	}
	err = w.Commit(t.Context())
	if !errors.Is(err, cause.DigestMismatch) {
		t.Fatalf("Commit = %v, want DigestMismatch", err)
	}
	w.Close()
	if _, err := s.Info(t.Context(), desc.Digest); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Info after mismatch = %v, want ErrNotFound", err)
	}
	ctx := namespaces.WithNamespace(t.Context(), containerd.DefaultNamespace)
	sts, err := s.Client().ContentStore().ListStatuses(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range sts {
		if strings.Contains(st.Ref, desc.Digest.Hex) {
			t.Errorf("ingest %s (%d bytes) left after a mismatch", st.Ref, st.Offset)
		}
	}
	// The next writer starts from 0 and can land the right content.
	if err := testcontainerd.WriteBytes(t.Context(), s, desc, good); err != nil {
		t.Fatal(err)
	}
}

// TestPutImageUnpacks: a runnable image is unpacked by PutImage, so the
// CRI does not unpack inside CreateContainer; the record carries the
// repo digest. It also measures writing and unpacking a 50 MB image.
func TestPutImageUnpacks(t *testing.T) {
	t.Parallel()
	c := testcontainerd.Start(t)
	s := open(t, c.Address)
	img := testimage.Random(t, 1, 50<<20, testimage.WithSeed(7))
	// Materialise the blobs first, so that only the store is timed.
	blobs, target := materialise(t, img)
	start := time.Now()
	release, err := s.Lease(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, b := range blobs {
		if err := testcontainerd.WriteBytes(t.Context(), s, b.desc, b.data); err != nil {
			t.Fatal(err)
		}
		total += b.desc.Size
	}
	written := time.Since(start)
	repo := v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("ab", 32)}
	const name = "example.test/big:1"
	if err := s.PutImage(t.Context(), store.Image{Name: name, Target: target, RepoDigest: repo}); err != nil {
		t.Fatal(err)
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
	t.Logf("50 MB image: %d bytes written in %v, write + unpack %v", total, written, time.Since(start))

	rec, err := s.Image(t.Context(), name)
	if err != nil || rec.RepoDigest != repo || rec.Target.Digest != target.Digest {
		t.Fatalf("Image = %+v, %v", rec, err)
	}
	ctx := namespaces.WithNamespace(t.Context(), containerd.DefaultNamespace)
	ci, err := s.Client().ImageService().Get(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	ok, err := client.NewImage(s.Client(), ci).IsUnpacked(ctx, containerd.DefaultSnapshotter)
	if err != nil || !ok {
		t.Fatalf("IsUnpacked = %v, %v", ok, err)
	}
}

type blob struct {
	desc v1.Descriptor
	data []byte
}

func materialise(t *testing.T, img v1.Image) ([]blob, v1.Descriptor) {
	t.Helper()
	var out []blob
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range layers {
		rc, err := l.Compressed()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		mt, _ := l.MediaType()
		out = append(out, blob{storetest.Descriptor(mt, data), data})
	}
	cfg, err := img.RawConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, blob{storetest.Descriptor(types.OCIConfigJSON, cfg), cfg})
	raw, err := img.RawManifest()
	if err != nil {
		t.Fatal(err)
	}
	mt, _ := img.MediaType()
	m := blob{storetest.Descriptor(mt, raw), raw}
	return append(out, m), m.desc
}

// TestKilledWriterLosesLittle: a writer whose process dies without Close
// (its connection just ends) leaves in containerd every 1 MiB piece it was
// given: the resume re-fetches less than one piece.
func TestKilledWriterLosesLittle(t *testing.T) {
	t.Parallel()
	c := testcontainerd.Start(t)
	data := storetest.RandomBytes(9<<20 + 5)
	desc := storetest.Descriptor(types.OCILayer, data)
	const written = 3<<20 + 512<<10 // three and a half registry pieces

	s1 := open(t, c.Address)
	w, err := s1.Writer(t.Context(), desc)
	if err != nil {
		t.Fatal(err)
	}
	for p := data[:written]; len(p) > 0; p = p[min(len(p), 1<<20):] {
		if _, err := w.Write(p[:min(len(p), 1<<20)]); err != nil {
			t.Fatal(err)
		}
	}
	s1.Close() // as kill -9 would: no Close of the writer, the connection ends

	s2 := open(t, c.Address)
	var off int64
	deadline := time.Now().Add(10 * time.Second)
	for {
		w, err = s2.Writer(t.Context(), desc)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond) // the daemon releases the dead stream's ingest
	}
	defer w.Close()
	off = w.Offset()
	if lost := written - off; lost >= 1<<20 || lost < 0 {
		t.Fatalf("resumed at %d after %d bytes were written: %d bytes lost, want < 1 MiB", off, written, lost)
	}
	t.Logf("written %d, resumed at %d: %d bytes lost", written, off, written-off)
	if _, err := w.Write(data[off:]); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// TestRepairImage: a layer whose file in containerd's content store was
// changed is found by store.RepairImage and deleted, so that the image is
// incomplete and its next pull fetches the layer again.
func TestRepairImage(t *testing.T) {
	t.Parallel()
	c := testcontainerd.Start(t)
	s := open(t, c.Address, containerd.WithUnpack(false))
	ctx := t.Context()
	b, err := storetest.WriteImage(ctx, s, 2)
	if err != nil {
		t.Fatal(err)
	}
	img := store.Image{Name: "example.com/repair:1", Target: b.Manifest}
	if err := s.PutImage(ctx, img); err != nil {
		t.Fatal(err)
	}
	if dmg, err := store.RepairImage(ctx, s, img); err != nil || len(dmg) != 0 {
		t.Fatalf("RepairImage of a sound image: %v %v", dmg, err)
	}
	bad := b.Layers[1].Digest
	p := filepath.Join(cri.PathsFor(c.Dir).Root, "io.containerd.content.v1.content", "blobs", "sha256", bad.Hex)
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	data[0] ^= 0xff
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	dmg, err := store.RepairImage(ctx, s, img)
	if err != nil {
		t.Fatal(err)
	}
	if len(dmg) != 1 || dmg[0].Digest != bad || !dmg[0].Removed {
		t.Fatalf("damage = %+v, want layer %s removed", dmg, bad)
	}
	if ok, err := store.Complete(ctx, s, img); ok || err != nil {
		t.Fatalf("Complete after the repair = %v, %v; want incomplete", ok, err)
	}
}

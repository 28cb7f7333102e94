package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pullwarden/pullwarden/internal/faultproxy"
	"github.com/pullwarden/pullwarden/internal/testimage"
	"github.com/pullwarden/pullwarden/internal/testmount"
	"github.com/pullwarden/pullwarden/internal/testregistry"
)

// TestReadOnlyStore: on a store mounted read-only, images, images --verify
// and a pull of a present image with IfNotPresent work; a pull that must
// write fails with StoreFailed naming the store.
func TestReadOnlyStore(t *testing.T) {
	t.Parallel()
	reg := testregistry.StartInProcess(t)
	ref := reg.Ref("ro/app:1")
	testimage.Push(t, testimage.Random(t, 2, 1000), ref, nil)
	dir := t.TempDir()
	if _, e, code := run(t, "pull", ref, "--store", dir, "-q"); code != 0 {
		t.Fatal(e)
	}
	roRun := func(args ...string) (string, int) {
		cmd := testmount.ReadOnly(t, dir, append([]string{os.Args[0]}, args...)...)
		cmd.Env = append(os.Environ(), envMain+"=1")
		out, err := cmd.CombinedOutput()
		code := cmd.ProcessState.ExitCode()
		if err != nil && code <= 0 {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		return string(out), code
	}
	if out, code := roRun("images", "--store", dir); code != 0 || !strings.Contains(out, reg.Host+"/ro/app") {
		t.Fatalf("images on a read-only store: exit %d\n%s", code, out)
	}
	if out, code := roRun("images", "--verify", "--store", dir); code != 0 {
		t.Fatalf("images --verify on a read-only store: exit %d\n%s", code, out)
	}
	if out, code := roRun("pull", ref, "--policy", "IfNotPresent", "--store", dir, "-q"); code != 0 || !strings.Contains(out, "already present") {
		t.Fatalf("pull IfNotPresent of a present image on a read-only store: exit %d\n%s", code, out)
	}
	out, code := roRun("pull", ref, "--policy", "Always", "--store", dir, "-o", "json")
	if code == 0 || !strings.Contains(out, `"reason": "StoreFailed"`) || !strings.Contains(out, dir) {
		t.Fatalf("pull --policy Always on a read-only store: exit %d, want StoreFailed naming %s\n%s", code, dir, out)
	}
}

// TestPullVerifyRepairs: a corrupt layer survives pull --policy Always;
// pull --verify fetches it again, and images --verify --repair deletes it
// so that the next pull does.
func TestPullVerifyRepairs(t *testing.T) {
	t.Parallel()
	reg := testregistry.StartInProcess(t)
	ref := reg.Ref("rep/app:1")
	img := testimage.Random(t, 2, 4000)
	testimage.Push(t, img, ref, nil)
	dir := t.TempDir()
	st := "--store=" + dir
	if _, e, code := run(t, "pull", ref, st, "-q"); code != 0 {
		t.Fatal(e)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	ld, _ := layers[1].Digest()
	blob := filepath.Join(dir, "blobs", "sha256", ld.Hex)
	corrupt := func() {
		t.Helper()
		b, err := os.ReadFile(blob)
		if err != nil {
			t.Fatal(err)
		}
		b[len(b)/2] ^= 0xff
		if err := os.WriteFile(blob, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, _, code := run(t, "images", st, "--verify"); code != 1 {
			t.Fatalf("images --verify of a corrupt blob: exit %d", code)
		}
	}
	corrupt()
	if _, e, code := run(t, "pull", ref, st, "-q", "--policy", "Always"); code != 0 {
		t.Fatal(e)
	}
	if _, _, code := run(t, "images", st, "--verify"); code != 1 {
		t.Fatal("precondition: a plain pull --policy Always repaired the blob")
	}
	if out, e, code := run(t, "pull", ref, st, "--policy", "IfNotPresent", "--verify"); code != 0 || !strings.Contains(e, "Removed a corrupt blob") || !strings.Contains(out, "pulled") {
		t.Fatalf("pull --verify: exit %d\n%s\n%s", code, out, e)
	}
	if _, e, code := run(t, "images", st, "--verify"); code != 0 {
		t.Fatalf("images --verify after pull --verify: %s", e)
	}

	corrupt()
	if _, e, code := run(t, "images", st, "--verify", "--repair"); code != 0 || !strings.Contains(e, "Removed: "+blob) {
		t.Fatalf("images --verify --repair: exit %d\n%s", code, e)
	}
	if out, _, _ := run(t, "images", st); !strings.Contains(out, "incomplete") {
		t.Fatalf("images after --repair does not show the image incomplete:\n%s", out)
	}
	if _, e, code := run(t, "pull", ref, st, "-q", "--policy", "IfNotPresent"); code != 0 {
		t.Fatal(e)
	}
	if _, e, code := run(t, "images", st, "--verify"); code != 0 {
		t.Fatalf("images --verify after the repair and a pull: %s", e)
	}
	if _, _, code := run(t, "images", st, "--repair"); code != 2 {
		t.Fatalf("--repair without --verify: exit %d, want 2", code)
	}
}

// TestResumeOfChangedPartialBlob: a pull fails after part of a layer
// arrived; one byte of the partial download changes (same length); the
// next pull must not build on it: it exits 0 and the store verifies.
func TestResumeOfChangedPartialBlob(t *testing.T) {
	t.Parallel()
	reg := testregistry.StartInProcess(t)
	p, host := proxied(t, reg)
	img := testimage.Random(t, 1, 3<<20, testimage.Uncompressed())
	testimage.Push(t, img, reg.Ref("chg/app:1"), nil)
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	ld, _ := layers[0].Digest()
	blob := "/blobs/" + ld.String()
	p.Add(faultproxy.Rule{Method: "GET", Path: blob, Times: 1, Fault: faultproxy.Fault{Kind: faultproxy.Cut, N: 2 << 20}})
	p.Add(faultproxy.Rule{Method: "GET", Path: blob, Fault: faultproxy.Fault{Kind: faultproxy.Status, Code: 404}})
	dir := t.TempDir()
	ref := host + "/chg/app:1"
	if _, _, code := run(t, "pull", ref, "--store", dir, "-q"); code == 0 {
		t.Fatal("precondition: the first pull succeeded")
	}
	partial, _ := filepath.Glob(filepath.Join(dir, "ingest", ld.Hex+"-*[0-9]"))
	if len(partial) != 1 {
		t.Fatalf("partial downloads after the failed pull: %v", partial)
	}
	fi, err := os.Stat(partial[0])
	if err != nil || fi.Size() == 0 {
		t.Fatalf("partial download: %v, %v", fi, err)
	}
	b, err := os.ReadFile(partial[0])
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	if err := os.WriteFile(partial[0], b, 0o644); err != nil {
		t.Fatal(err)
	}
	p.Reset()
	if _, e, code := run(t, "pull", ref, "--store", dir, "-q"); code != 0 {
		t.Fatalf("pull after the change: %s", e)
	}
	if _, e, code := run(t, "images", "--verify", "--store", dir); code != 0 {
		t.Fatalf("images --verify after resuming changed data: %s", e)
	}
}

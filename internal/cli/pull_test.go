package cli

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pullwarden/pullwarden/internal/faultproxy"
	"github.com/pullwarden/pullwarden/internal/testimage"
	"github.com/pullwarden/pullwarden/internal/testregistry"
)

func TestPullJSON(t *testing.T) {
	t.Parallel()
	reg := testregistry.StartInProcess(t)
	ref := reg.Ref("team/app:1")
	digest := testimage.Push(t, testimage.Random(t, 2, 4096), ref, nil)
	testimage.Push(t, testimage.Random(t, 1, 10), reg.Ref("team/app:other"), nil)
	store := "--store=" + t.TempDir()

	out, errOut, code := run(t, "pull", ref, store, "-o", "json")
	r := decodeReport(t, out)
	if code != 0 || !r.Pulled || r.Digest != digest.String() || r.Reason != "" || r.Bytes <= 8192 || r.Downloaded <= 0 || r.Downloaded > r.Bytes || r.Policy != "IfNotPresent" {
		t.Fatalf("first pull: code %d report %+v stderr %s", code, r, errOut)
	}
	out, _, code = run(t, "pull", ref, store, "-o", "json")
	r = decodeReport(t, out)
	if code != 0 || r.Pulled || r.Digest != digest.String() || r.Downloaded != 0 {
		t.Fatalf("second pull (IfNotPresent, present): code %d report %+v", code, r)
	}

	for _, tc := range []struct {
		args   []string
		reason string
	}{
		{[]string{reg.Ref("team/app:2")}, "TagNotFound"},
		{[]string{"Team/App"}, "InvalidImageName"},
		{[]string{reg.Ref("team/app:2"), "--policy", "Never"}, "ErrImageNeverPull"},
		{[]string{"127.0.0.1:1/x:1"}, "RegistryUnreachable"},
	} {
		out, errOut, code := run(t, append(append([]string{"pull"}, tc.args...), store, "-o", "json")...)
		r := decodeReport(t, out)
		if code == 0 || r.Reason != tc.reason || r.Message == "" || r.Hint == "" || r.Pulled {
			t.Errorf("%v: code %d report %+v", tc.args, code, r)
		}
		if !strings.Contains(errOut, "Error: "+tc.reason+": ") || !strings.Contains(errOut, "Hint: ") {
			t.Errorf("%v: stderr %q lacks reason and hint", tc.args, errOut)
		}
	}
}

func TestPullAlwaysOnlyAsksForTheManifest(t *testing.T) {
	t.Parallel()
	reg := testregistry.StartInProcess(t)
	p, host := proxied(t, reg)
	testimage.Push(t, testimage.Random(t, 3, 2048), reg.Ref("a/b:latest"), nil)
	store := "--store=" + t.TempDir()
	if _, e, code := run(t, "pull", host+"/a/b", store, "-q"); code != 0 {
		t.Fatal(e)
	}
	p.Reset()
	out, e, code := run(t, "pull", host+"/a/b", store, "-o", "json")
	if code != 0 || !decodeReport(t, out).Pulled {
		t.Fatalf("code %d: %s %s", code, out, e)
	}
	for _, r := range p.Requests() {
		if strings.Contains(r.Path, "/blobs/") || (r.Method == "GET" && strings.Contains(r.Path, "/manifests/")) {
			t.Errorf("Always with the image present sent %s %s; want only a manifest HEAD", r.Method, r.Path)
		}
	}
}

func TestPullUsageErrors(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"pull"},
		{"pull", "127.0.0.1:1/x", "--policy", "Sometimes"},
		{"pull", "127.0.0.1:1/x", "--platform", "linux/"},
		{"pull", "127.0.0.1:1/x", "--platform", "linux"},
		{"pull", "127.0.0.1:1/x", "-o", "yaml"},
		{"pull", "127.0.0.1:1/x", "--no-such-flag"},
	} {
		_, errOut, code := run(t, append(args, "--store="+t.TempDir())...)
		if code != exitUsage || !strings.HasPrefix(errOut, "Error: ") {
			t.Errorf("%v: code %d stderr %q", args, code, errOut)
		}
	}
}

// TestKillMidPullResumes kills a pull process in the middle of a 50 MiB
// layer; the next pull continues from the partial file.
func TestKillMidPullResumes(t *testing.T) {
	reg := testregistry.Start(t)
	p, host := proxied(t, reg)
	const size = 50 << 20
	img := testimage.Random(t, 1, size, testimage.Uncompressed())
	testimage.Push(t, img, reg.Ref("big/app:1"), nil)
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	ld, _ := layers[0].Digest()
	blobSize, _ := layers[0].Size()
	blobPath := "/v2/big/app/blobs/" + ld.String()
	p.Add(faultproxy.Rule{Method: "GET", Path: "/blobs/" + ld.String(), Fault: faultproxy.Fault{Kind: faultproxy.Trickle, N: 256 << 10, Tick: 10 * time.Millisecond}})

	store := t.TempDir()
	cmd := exec.Command(os.Args[0], "pull", host+"/big/app:1", "--store", store, "-q")
	cmd.Env = append(os.Environ(), envMain+"=1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for p.Served(blobPath) < 10<<20 {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("the pull did not get 10 MiB in 60 s (served %d)", p.Served(blobPath))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	first := p.Served(blobPath)
	partial, _ := filepath.Glob(filepath.Join(store, "ingest", "*-*[0-9]"))
	if len(partial) != 1 {
		t.Fatalf("partial downloads after the kill: %v", partial)
	}
	fi, err := os.Stat(partial[0])
	if err != nil {
		t.Fatal(err)
	}
	kept := fi.Size()

	p.Reset()
	out, e, code := run(t, "pull", host+"/big/app:1", "--store", store, "-o", "json")
	if code != 0 {
		t.Fatalf("second pull: %s %s", out, e)
	}
	second := p.Served(blobPath)
	// What the killed process had stored is never fetched again. (What
	// was in flight when it died, in socket buffers and the writer's
	// chunk, is lost; how much depends on the machine's load, so it is
	// only bounded loosely. The resumed pull may itself be cut and
	// reconnect under load: the bytes it had in flight then, at most a
	// copy buffer per reconnect, are fetched once more.)
	if want := blobSize - kept; second < want || second > want+1<<20 {
		t.Fatalf("the resumed pull fetched %d bytes; %d were stored before the kill, so %d remained", second, kept, want)
	}
	if lost := first - kept; lost > 16<<20 {
		t.Fatalf("the killed pull had been served %d bytes but stored %d: %d lost", first, kept, lost)
	}
	total := first + second
	if r := p.Requests(); !hasRange(r, blobPath) {
		t.Fatalf("the second pull did not ask for a range: %+v", r)
	}
	t.Logf("first process got %d bytes, the resumed pull %d: %.3fx the layer", first, second, float64(total)/size)
	if _, e, code := run(t, "images", "--store", store); code != 0 {
		t.Fatal(e)
	}
}

func hasRange(reqs []faultproxy.Request, path string) bool {
	for _, r := range reqs {
		if r.Path == path && strings.HasPrefix(r.Range, "bytes=") && !strings.HasPrefix(r.Range, "bytes=0-") {
			return true
		}
	}
	return false
}

func TestImagesRmiGC(t *testing.T) {
	t.Parallel()
	reg := testregistry.StartInProcess(t)
	store := "--store=" + t.TempDir()
	for i := range 2 {
		ref := reg.Ref(fmt.Sprintf("x/y:%d", i))
		testimage.Push(t, testimage.Random(t, 1, 1000), ref, nil)
		if _, e, code := run(t, "pull", ref, store, "-q"); code != 0 {
			t.Fatal(e)
		}
	}
	out, _, _ := run(t, "images", store)
	if !strings.Contains(out, "IMAGE") || strings.Count(out, reg.Host+"/x/y") != 2 {
		t.Fatalf("images:\n%s", out)
	}
	if out, e, code := run(t, "rmi", reg.Ref("x/y:0"), store); code != 0 || !strings.Contains(out, "Untagged: ") {
		t.Fatalf("rmi: %s %s", out, e)
	}
	if _, e, code := run(t, "rmi", reg.Ref("x/y:0"), store); code == 0 || !strings.Contains(e, "no such image") {
		t.Fatalf("rmi of a missing image: %d %s", code, e)
	}
	out, _, _ = run(t, "gc", store)
	if !strings.HasPrefix(out, "Deleted 3 blobs") {
		t.Fatalf("gc: %s", out)
	}
	out, _, _ = run(t, "images", store, "-o", "json")
	if strings.Count(out, `"name"`) != 1 {
		t.Fatalf("images -o json after rmi: %s", out)
	}
	if _, e, code := run(t, "images", store, "--verify"); code != 0 {
		t.Fatalf("verify of a sound store: %d %s", code, e)
	}
	blobs, _ := filepath.Glob(filepath.Join(strings.TrimPrefix(store, "--store="), "blobs", "sha256", "*"))
	if len(blobs) == 0 {
		t.Fatal("no blobs")
	}
	if err := os.WriteFile(blobs[0], []byte("damaged"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, e, code := run(t, "images", store, "--verify"); code != 1 || !strings.Contains(e, blobs[0]) {
		t.Fatalf("verify of a damaged blob: code %d stderr %q", code, e)
	}
}

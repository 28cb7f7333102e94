package cli

import (
	"os"
	"strings"
	"testing"

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

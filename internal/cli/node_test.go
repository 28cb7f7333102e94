package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/pullwarden/pullwarden/internal/testcontainerd"
	"github.com/pullwarden/pullwarden/internal/testimage"
	"github.com/pullwarden/pullwarden/internal/testregistry"
	"github.com/pullwarden/pullwarden/runtime/cri"
)

// pull --node and load --node put images where the CRI (and so the
// agent's pods, imagePullPolicy Never included) finds them.
func TestPullAndLoadIntoTheNode(t *testing.T) {
	ctd := testcontainerd.Start(t)
	reg := testregistry.StartInProcess(t)
	pulled := reg.Ref("team/pulled:1")
	testimage.Push(t, testimage.Random(t, 1, 2048), pulled, nil)
	loaded := "127.0.0.1:5999/team/loaded:1"
	tag, _ := name.NewTag(loaded)
	tarPath := filepath.Join(t.TempDir(), "loaded.tar")
	if err := tarball.WriteToFile(tarPath, tag, testimage.Random(t, 1, 2048)); err != nil {
		t.Fatal(err)
	}
	addr := "--containerd-address=" + ctd.Address
	if out, errOut, code := run(t, "pull", pulled, "--node", addr, "-q"); code != 0 {
		t.Fatalf("pull --node: %d %s %s", code, out, errOut)
	}
	out, errOut, code := run(t, "load", tarPath, "--node", addr)
	if code != 0 || !strings.Contains(out, "Loaded image: "+loaded) {
		t.Fatalf("load --node: %d %q %q", code, out, errOut)
	}
	rt, err := cri.New(t.Context(), ctd.Address)
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	for _, ref := range []string{pulled, loaded} {
		if _, err := rt.ImageStatus(t.Context(), ref); err != nil {
			t.Errorf("the CRI does not see %s: %v", ref, err)
		}
	}
	if _, errOut, code := run(t, "load", tarPath, "--node", "--containerd-address=/nonexistent.sock"); code != 1 || !strings.Contains(errOut, "start the node agent") {
		t.Errorf("load --node without an agent: %d %q", code, errOut)
	}
}

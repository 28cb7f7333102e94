package node

import (
	"testing"

	"github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/namespaces"

	"github.com/pullwarden/pullwarden/reference"
)

// assertUnpacked checks that containerd's k8s.io namespace holds image
// unpacked into the default snapshotter.
func assertUnpacked(t *testing.T, n *Node, image string) {
	t.Helper()
	ref, err := reference.Parse(image)
	if err != nil {
		t.Fatal(err)
	}
	c := n.store.Client()
	ctx := namespaces.WithNamespace(t.Context(), "k8s.io")
	rec, err := c.ImageService().Get(ctx, ref.String())
	if err != nil {
		t.Fatalf("containerd k8s.io has no %s: %v", ref, err)
	}
	ok, err := client.NewImage(c, rec).IsUnpacked(ctx, "overlayfs")
	if err != nil || !ok {
		t.Errorf("%s unpacked = %v, %v", ref, ok, err)
	}
}

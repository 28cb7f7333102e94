package ocilayout_test

import (
	"context"
	"fmt"
	"os"

	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/pullwarden/pullwarden/store"
	"github.com/pullwarden/pullwarden/store/ocilayout"
	"github.com/pullwarden/pullwarden/store/storetest"
)

func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "store")
	defer os.RemoveAll(dir)
	s, err := ocilayout.Open(dir)
	if err != nil {
		panic(err)
	}
	// Write a blob (resumable: a Writer closed before Commit keeps its data).
	data := []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}`)
	desc := storetest.Descriptor(types.OCIManifestSchema1, data)
	w, err := s.Writer(ctx, desc)
	if err != nil {
		panic(err)
	}
	defer w.Close()
	if _, err := w.Write(data[w.Offset():]); err != nil {
		panic(err)
	}
	if err := w.Commit(ctx); err != nil {
		panic(err)
	}
	// Name it: skopeo can now read oci:DIR:docker.io/library/demo:1.
	if err := s.PutImage(ctx, store.Image{Name: "docker.io/library/demo:1", Target: desc}); err != nil {
		panic(err)
	}
	imgs, _ := s.Images(ctx)
	fmt.Println(imgs[0].Name, imgs[0].RepoDigest == desc.Digest)
	// Output: docker.io/library/demo:1 true
}

package store

import (
	"errors"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/pullwarden/pullwarden/cause"
)

func TestParseChildren(t *testing.T) {
	m := `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
	 "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000001","size":2},
	 "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000002","size":3}]}`
	kids, err := ParseChildren(types.OCIManifestSchema1, []byte(m))
	if err != nil || len(kids) != 2 || kids[0].Size != 2 || kids[1].Size != 3 {
		t.Fatalf("manifest children %+v %v", kids, err)
	}
	idx := `{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000003","size":4}]}`
	kids, err = ParseChildren(types.OCIImageIndex, []byte(idx))
	if err != nil || len(kids) != 1 {
		t.Fatalf("index children %+v %v", kids, err)
	}
	if _, err := ParseChildren(types.OCIManifestSchema1, []byte(`{"config":`)); !errors.Is(err, cause.ManifestInvalid) {
		t.Fatalf("truncated manifest: %v", err)
	}
}

// FuzzParseChildren feeds registry-supplied manifest and index bytes to the
// parser: it must never panic, and every failure is ManifestInvalid.
func FuzzParseChildren(f *testing.F) {
	f.Add(true, []byte(`{"schemaVersion":2,"manifests":[]}`))
	f.Add(false, []byte(`{"schemaVersion":2,"config":{"digest":"sha256:00"},"layers":[{}]}`))
	f.Add(false, []byte(`[]`))
	f.Fuzz(func(t *testing.T, index bool, b []byte) {
		mt := types.OCIManifestSchema1
		if index {
			mt = types.OCIImageIndex
		}
		if _, err := ParseChildren(mt, b); err != nil && !errors.Is(err, cause.ManifestInvalid) {
			t.Fatalf("error without the ManifestInvalid cause: %v", err)
		}
	})
}

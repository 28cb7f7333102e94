package ocilayout

import (
	"encoding/json"
	"reflect"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// FuzzParseIndex: parseIndex never panics, and what it accepts survives a
// write and a re-read with the same images.
func FuzzParseIndex(f *testing.F) {
	f.Add([]byte(`{"schemaVersion":2,"manifests":[]}`))
	f.Add([]byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":7,"digest":"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","annotations":{"org.opencontainers.image.ref.name":"docker.io/library/a:1","io.pullwarden.image.repo-digest":"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","org.opencontainers.image.created":"2026-01-02T03:04:05.5Z"}}]}`))
	f.Add([]byte(`{"schemaVersion":2,"manifests":[{"mediaType":"x","size":-1,"digest":"sha256:00"}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		idx, err := parseIndex("index.json", b)
		if err != nil {
			return
		}
		out, err := json.Marshal(idx)
		if err != nil {
			t.Fatalf("marshal of a parsed index: %v", err)
		}
		again, err := parseIndex("index.json", out)
		if err != nil {
			t.Fatalf("re-parse of a written index: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(images(t, idx), images(t, again)) {
			t.Fatalf("images changed through a write: %s", out)
		}
	})
}

func images(t *testing.T, idx *v1.IndexManifest) []string {
	var names []string
	for _, d := range idx.Manifests {
		img, ok, err := imageOf(d)
		if err != nil {
			t.Fatalf("imageOf after parseIndex accepted the entry: %v", err)
		}
		if ok {
			names = append(names, img.Name+" "+img.Target.Digest.String()+" "+img.RepoDigest.String()+" "+img.Created.UTC().String())
		}
	}
	return names
}

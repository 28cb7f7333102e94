package ocilayout

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/pullwarden/pullwarden/store"
)

// Annotations on index.json entries.
const (
	// AnnotationRefName is the OCI annotation holding the image name.
	AnnotationRefName = "org.opencontainers.image.ref.name"
	// AnnotationRepoDigest holds the digest the registry resolved the name to.
	AnnotationRepoDigest = "io.pullwarden.image.repo-digest"
	// AnnotationCreated holds when the name was recorded (RFC 3339).
	AnnotationCreated = "org.opencontainers.image.created"
)

const indexLock = "locks/index.lock"

func emptyIndex() *v1.IndexManifest {
	return &v1.IndexManifest{
		SchemaVersion: 2,
		MediaType:     types.OCIImageIndex,
		Manifests:     []v1.Descriptor{},
	}
}

// parseIndex parses and checks the content of an index.json file. Errors
// are cause.StoreFailed and name path.
func parseIndex(path string, b []byte) (*v1.IndexManifest, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, storeErr(nil, "%s is empty: the image index is corrupt", path)
	}
	var idx v1.IndexManifest
	if err := json.Unmarshal(b, &idx); err != nil {
		return nil, storeErr(err, "%s is corrupt: %v", path, err)
	}
	if idx.SchemaVersion != 2 {
		return nil, storeErr(nil, "%s: schemaVersion is %d, want 2", path, idx.SchemaVersion)
	}
	for i, d := range idx.Manifests {
		if d.Digest.Algorithm == "" {
			return nil, storeErr(nil, "%s: manifests[%d] has no digest", path, i)
		}
		if d.Size < 0 {
			return nil, storeErr(nil, "%s: manifests[%d] has negative size %d", path, i, d.Size)
		}
		if _, _, err := imageOf(d); err != nil {
			return nil, storeErr(err, "%s: manifests[%d]: %v", path, i, err)
		}
	}
	if idx.Manifests == nil {
		idx.Manifests = []v1.Descriptor{}
	}
	return &idx, nil
}

// imageOf turns an index entry into an image; ok is false for entries
// without a ref.name.
func imageOf(d v1.Descriptor) (img store.Image, ok bool, err error) {
	name := d.Annotations[AnnotationRefName]
	if name == "" {
		return img, false, nil
	}
	img = store.Image{Name: name, Target: d, RepoDigest: d.Digest}
	if s, set := d.Annotations[AnnotationRepoDigest]; set {
		if img.RepoDigest, err = v1.NewHash(s); err != nil {
			return img, false, fmt.Errorf("image %q: invalid %s %q: %v", name, AnnotationRepoDigest, s, err)
		}
	}
	if s, set := d.Annotations[AnnotationCreated]; set {
		if img.Created, err = time.Parse(time.RFC3339Nano, s); err != nil {
			return img, false, fmt.Errorf("image %q: invalid %s %q: %v", name, AnnotationCreated, s, err)
		}
	}
	ann := map[string]string{}
	for k, v := range d.Annotations {
		switch k {
		case AnnotationRefName, AnnotationRepoDigest, AnnotationCreated:
		default:
			ann[k] = v
		}
	}
	img.Target.Annotations = nil
	if len(ann) > 0 {
		img.Target.Annotations = ann
	}
	return img, true, nil
}

// entryOf turns an image into an index entry.
func entryOf(img store.Image) v1.Descriptor {
	d := img.Target
	ann := map[string]string{}
	for k, v := range img.Target.Annotations {
		ann[k] = v
	}
	ann[AnnotationRefName] = img.Name
	ann[AnnotationRepoDigest] = img.RepoDigest.String()
	ann[AnnotationCreated] = img.Created.UTC().Format(time.RFC3339Nano)
	d.Annotations = ann
	return d
}

// readIndex reads index.json; a missing file is an empty index.
func (s *Store) readIndex() (*v1.IndexManifest, error) {
	p := s.path(indexFile)
	b, err := os.ReadFile(p)
	if isNotExist(err) {
		return emptyIndex(), nil
	}
	if err != nil {
		return nil, storeErr(err, "cannot read %s: %v", p, err)
	}
	return parseIndex(p, b)
}

func (s *Store) writeIndex(idx *v1.IndexManifest) error {
	p := s.path(indexFile)
	b, err := json.MarshalIndent(idx, "", "  ")
	if err != nil {
		return storeErr(err, "cannot encode %s: %v", p, err)
	}
	if err := writeFileAtomic(p, append(b, '\n')); err != nil {
		return storeErr(err, "cannot write %s: %v", p, err)
	}
	return nil
}

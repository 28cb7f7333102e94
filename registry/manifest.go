package registry

import (
	"bytes"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/pullwarden/pullwarden/cause"
)

func isManifest(mt types.MediaType) bool {
	return mt == types.OCIManifestSchema1 || mt == types.DockerManifestSchema2
}

func isIndex(mt types.MediaType) bool {
	return mt == types.OCIImageIndex || mt == types.DockerManifestList
}

// checkMediaType accepts image manifests and indexes; Docker schema 1 and
// anything else is cause.ManifestInvalid.
func (s *session) checkMediaType(mt types.MediaType, what string) error {
	switch {
	case isManifest(mt), isIndex(mt):
		return nil
	case mt == types.DockerManifestSchema1 || mt == types.DockerManifestSchema1Signed:
		return cause.New(cause.ManifestInvalid,
			"%s of repository %q on registry %s is a Docker schema 1 manifest, which is not supported: push the image again with a current tool",
			what, s.repo, s.t.host)
	}
	return cause.New(cause.ManifestInvalid, "%s of repository %q on registry %s has unsupported media type %q",
		what, s.repo, s.t.host, sanitize(string(mt)))
}

// parseManifest returns the config and layers of an image manifest,
// without duplicates, checking that each has a digest and a size.
func (s *session) parseManifest(body []byte, what string) ([]v1.Descriptor, error) {
	m, err := v1.ParseManifest(bytes.NewReader(body))
	if err != nil {
		return nil, cause.Wrap(cause.ManifestInvalid, err, "%s of repository %q on registry %s cannot be parsed: %s",
			what, s.repo, s.t.host, sanitize(err.Error()))
	}
	seen := map[v1.Hash]bool{}
	var out []v1.Descriptor
	for _, d := range append([]v1.Descriptor{m.Config}, m.Layers...) {
		if d.Digest.Algorithm != "sha256" || d.Size < 0 {
			return nil, cause.New(cause.ManifestInvalid, "%s of repository %q on registry %s lists a blob without a sha256 digest or size",
				what, s.repo, s.t.host)
		}
		if !seen[d.Digest] {
			seen[d.Digest] = true
			out = append(out, d)
		}
	}
	return out, nil
}

func (s *session) parseIndex(body []byte, what string) (*v1.IndexManifest, error) {
	idx, err := v1.ParseIndexManifest(bytes.NewReader(body))
	if err != nil {
		return nil, cause.Wrap(cause.ManifestInvalid, err, "%s of repository %q on registry %s cannot be parsed: %s",
			what, s.repo, s.t.host, sanitize(err.Error()))
	}
	return idx, nil
}

package registry

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/pullwarden/pullwarden/cause"
	"github.com/pullwarden/pullwarden/reference"
	"github.com/pullwarden/pullwarden/store"
)

// acceptManifests is the Accept header of manifest requests. Schema 1 is
// listed so that a registry holding only schema 1 says so (and we report
// ManifestInvalid) rather than answering 404.
var acceptManifests = strings.Join([]string{
	string(types.OCIImageIndex), string(types.OCIManifestSchema1),
	string(types.DockerManifestList), string(types.DockerManifestSchema2),
	string(types.DockerManifestSchema1Signed), string(types.DockerManifestSchema1),
}, ", ")

// Resolve asks the registry what ref points to: a manifest HEAD first (a
// HEAD does not count against Docker Hub's pull limit), a GET only when the
// HEAD gives no digest, size or media type, or fails without saying why
// (a 404 is final).
// When ref has a digest, the registry's answer must match it.
func (c *Client) Resolve(ctx context.Context, ref reference.Reference, auth authn.Authenticator) (v1.Descriptor, error) {
	var desc v1.Descriptor
	err := c.withSession(ctx, sessionRef{ref, auth}, func(s *session) error {
		var err error
		desc, _, err = s.resolve(ctx, ref)
		return err
	})
	return desc, err
}

// resolve returns the descriptor ref points to, and the manifest body when
// a GET was needed to learn it.
func (s *session) resolve(ctx context.Context, ref reference.Reference) (v1.Descriptor, []byte, error) {
	what := manifestOf(ref)
	var want *v1.Hash
	if ref.Digest() != "" {
		h, err := v1.NewHash(ref.Digest())
		if err != nil {
			return v1.Descriptor{}, nil, cause.Wrap(cause.InvalidImageName, err, "invalid digest in %q", ref.String())
		}
		want = &h
	}
	var desc v1.Descriptor
	err := s.c.retry(ctx, s.t, what, func(ctx context.Context, _ int) error {
		var err error
		desc, err = s.head(ctx, ref.Locator())
		return err
	})
	var he *httpError
	if err == nil && desc.Digest.Hex != "" && desc.Size > 0 && desc.MediaType != "" {
		if want != nil && desc.Digest != *want {
			return v1.Descriptor{}, nil, cause.New(cause.DigestMismatch,
				"registry %s answered digest %s for %s of repository %q", s.t.host, desc.Digest, what, s.repo)
		}
		return desc, nil, nil
	}
	if err != nil && !(errors.As(err, &he) && len(he.err.Errors) == 0 && he.err.StatusCode < 500 &&
		he.err.StatusCode != http.StatusTooManyRequests && he.err.StatusCode != http.StatusRequestTimeout &&
		he.err.StatusCode != http.StatusNotFound) {
		return v1.Descriptor{}, nil, err
	}
	// The HEAD said too little (or failed without a body, other than a
	// 404, which is final: a GET would only be counted against a pull
	// limit to hear 404 again): GET.
	var body []byte
	err = s.c.retry(ctx, s.t, what, func(ctx context.Context, _ int) error {
		var err error
		body, desc, err = s.getManifest(ctx, ref.Locator(), want)
		return err
	})
	return desc, body, err
}

func (s *session) manifestRequest(ctx context.Context, method, locator string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, s.url("manifests", locator), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", acceptManifests)
	return s.client.Do(req)
}

// head is one manifest HEAD. Missing fields stay zero.
func (s *session) head(ctx context.Context, locator string) (v1.Descriptor, error) {
	resp, err := s.manifestRequest(ctx, http.MethodHead, locator)
	if err != nil {
		return v1.Descriptor{}, err
	}
	defer resp.Body.Close()
	if err := checkResponse(resp, s.c.opts.Clock.Now(), http.StatusOK); err != nil {
		return v1.Descriptor{}, err
	}
	return headDescriptor(resp.Header), nil
}

// headDescriptor reads what a manifest HEAD says: Docker-Content-Digest (a
// sha256 digest), Content-Length (a positive count) and Content-Type.
// What is missing or malformed stays zero, so that Resolve asks with a GET.
func headDescriptor(h http.Header) v1.Descriptor {
	var d v1.Descriptor
	if hash, err := v1.NewHash(strings.TrimSpace(h.Get("Docker-Content-Digest"))); err == nil && hash.Algorithm == "sha256" {
		d.Digest = hash
	}
	if n, err := parseCount(strings.TrimSpace(h.Get("Content-Length"))); err == nil && n > 0 {
		d.Size = n
	}
	d.MediaType = mediaType(h.Get("Content-Type"), nil)
	return d
}

// getManifest is one manifest GET: at most store.MaxManifestSize bytes, its
// digest computed from the body and checked against want when given.
func (s *session) getManifest(ctx context.Context, locator string, want *v1.Hash) ([]byte, v1.Descriptor, error) {
	resp, err := s.manifestRequest(ctx, http.MethodGet, locator)
	if err != nil {
		return nil, v1.Descriptor{}, err
	}
	defer resp.Body.Close()
	if err := checkResponse(resp, s.c.opts.Clock.Now(), http.StatusOK); err != nil {
		return nil, v1.Descriptor{}, err
	}
	if resp.ContentLength > store.MaxManifestSize {
		return nil, v1.Descriptor{}, errTooLarge
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, store.MaxManifestSize+1))
	s.downloaded.add(int64(len(body)))
	if err != nil {
		return nil, v1.Descriptor{}, err
	}
	if len(body) > store.MaxManifestSize {
		return nil, v1.Descriptor{}, errTooLarge
	}
	if resp.ContentLength >= 0 && int64(len(body)) != resp.ContentLength {
		return nil, v1.Descriptor{}, errShortBody
	}
	sum := sha256.Sum256(body)
	d := v1.Descriptor{
		MediaType: mediaType(resp.Header.Get("Content-Type"), body),
		Size:      int64(len(body)),
		Digest:    v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])},
	}
	if want != nil && d.Digest != *want {
		return nil, v1.Descriptor{}, cause.New(cause.DigestMismatch,
			"the manifest %s from registry %s, repository %q, hashes to %s", want, s.t.host, s.repo, d.Digest)
	}
	return body, d, nil
}

// mediaType is the manifest's media type: its own mediaType field when
// the body is known and has one, else the Content-Type header.
func mediaType(contentType string, body []byte) types.MediaType {
	if len(body) > 0 {
		var probe struct {
			MediaType     types.MediaType `json:"mediaType"`
			SchemaVersion int             `json:"schemaVersion"`
			Manifests     []any           `json:"manifests"`
			Config        any             `json:"config"`
		}
		if json.Unmarshal(body, &probe) == nil {
			switch {
			case probe.MediaType != "":
				return probe.MediaType
			case probe.SchemaVersion == 1:
				return types.DockerManifestSchema1
			case probe.Manifests != nil && bytes.Contains(body, []byte(`"manifests"`)):
				return types.OCIImageIndex
			case probe.Config != nil:
				return types.OCIManifestSchema1
			}
		}
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return ""
	}
	return types.MediaType(mt)
}

// manifestOf names what a reference asks the registry for, in messages:
// `manifest for tag "v1"` or "manifest sha256:...".
func manifestOf(ref reference.Reference) string {
	if ref.Digest() != "" {
		return "manifest " + ref.Digest()
	}
	return fmt.Sprintf("manifest for tag %q", ref.Tag())
}

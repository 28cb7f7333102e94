package notify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// MediaType is the content type of docker-registry's event envelopes.
const MediaType = "application/vnd.docker.distribution.events.v1+json"

// Push is one manifest pushed to a registry.
type Push struct {
	// Host is the registry as the pusher addressed it (the event's
	// request.host, "registry.example:5000"), or Options.Host.
	Host string
	// Repository is the repository path, "team/app".
	Repository string
	// Tag is the tag pushed; "" for a push by digest.
	Tag string
	// Digest is the manifest's digest, "sha256:...".
	Digest string
	// MediaType is the manifest's media type.
	MediaType string
	// Time is the event's timestamp (zero when absent).
	Time time.Time
}

// envelope is the JSON of distribution's notifications (the fields used).
type envelope struct {
	Events []struct {
		Action    string    `json:"action"`
		Timestamp time.Time `json:"timestamp"`
		Target    struct {
			MediaType  string `json:"mediaType"`
			Digest     string `json:"digest"`
			Repository string `json:"repository"`
			Tag        string `json:"tag"`
			URL        string `json:"url"`
		} `json:"target"`
		Request struct {
			Host string `json:"host"`
		} `json:"request"`
	} `json:"events"`
}

// manifestTypes are the media types of manifests and indexes.
var manifestTypes = map[string]bool{
	"application/vnd.docker.distribution.manifest.v2+json":      true,
	"application/vnd.docker.distribution.manifest.list.v2+json": true,
	"application/vnd.docker.distribution.manifest.v1+json":      true,
	"application/vnd.docker.distribution.manifest.v1+prettyjws": true,
	"application/vnd.oci.image.manifest.v1+json":                true,
	"application/vnd.oci.image.index.v1+json":                   true,
}

// Parse reads an envelope and returns its manifest pushes, in order.
// Events of other actions (pull, delete, mount) and blob pushes are left
// out; a push event without a repository, or with a digest that is not
// "algorithm:hex", is an error naming the event. A push is a manifest
// push when its media type is a manifest or index type, or, for an
// unknown type, when its URL addresses /manifests/.
func Parse(data []byte) ([]Push, error) {
	var env envelope
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&env); err != nil {
		return nil, fmt.Errorf("event envelope: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("event envelope: data after the JSON object")
	}
	var out []Push
	for i, ev := range env.Events {
		if ev.Action != "push" {
			continue
		}
		t := ev.Target
		if !manifestTypes[t.MediaType] && !isManifestURL(t.URL) {
			continue
		}
		if t.Repository == "" {
			return nil, fmt.Errorf("event %d: push without target.repository", i)
		}
		if t.Digest != "" && !validDigest(t.Digest) {
			return nil, fmt.Errorf("event %d: target.digest %q is not algorithm:hex", i, t.Digest)
		}
		out = append(out, Push{
			Host: ev.Request.Host, Repository: t.Repository, Tag: t.Tag,
			Digest: t.Digest, MediaType: t.MediaType, Time: ev.Timestamp,
		})
	}
	return out, nil
}

func isManifestURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && strings.Contains(u.Path, "/manifests/")
}

// validDigest checks the shape "algorithm:encoded" of the OCI image
// spec: algorithm [a-z0-9+._-]+, encoded [a-zA-Z0-9=_-]+.
func validDigest(d string) bool {
	alg, enc, ok := strings.Cut(d, ":")
	if !ok || alg == "" || enc == "" {
		return false
	}
	for _, c := range alg {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.ContainsRune("+._-", c)) {
			return false
		}
	}
	for _, c := range enc {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("=_-", c)) {
			return false
		}
	}
	return true
}

package containerd

import (
	"testing"

	"github.com/containerd/platforms"
)

// FuzzParseRunnableConfig: an image config from a registry never panics
// the parser, and what it accepts names an OS and architecture and has one
// diff ID per layer.
func FuzzParseRunnableConfig(f *testing.F) {
	f.Add([]byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"]}}`), 1)
	f.Add([]byte(`{"architecture":"arm64","variant":"v8","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`), 0)
	f.Add([]byte(`{"os":"linux","rootfs":{"diff_ids":null}}`), 0)
	f.Add([]byte(`{"architecture":"amd64","os":"linux","os.features":["x"],"rootfs":{"diff_ids":["a","b"]}}`), 1)
	f.Add([]byte(`[]`), 0)
	f.Fuzz(func(t *testing.T, b []byte, layers int) {
		p, ok := parseRunnableConfig(b, layers)
		if !ok {
			return
		}
		if p.OS == "" || p.Architecture == "" {
			t.Fatalf("accepted a config without os/architecture: %q", b)
		}
		_ = platforms.Default().Match(p) // must not panic either
	})
}

// FuzzProbeMediaType: any blob content gives a media type or ok false,
// never a panic; a mediaType field is taken as it is.
func FuzzProbeMediaType(f *testing.F) {
	f.Add([]byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}`))
	f.Add([]byte(`{"schemaVersion":2,"config":{}}`))
	f.Add([]byte(`{"manifests":null}`))
	f.Add([]byte(`"x"`))
	f.Fuzz(func(t *testing.T, b []byte) {
		mt, ok := probeMediaType(b)
		if !ok && mt != "" {
			t.Fatalf("media type %q with ok false", mt)
		}
	})
}

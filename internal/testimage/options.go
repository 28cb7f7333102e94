package testimage

import (
	"compress/gzip"
	"crypto/rand"
	"encoding/binary"
	"runtime"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Option configures an image built by this package.
type Option func(*options)

type options struct {
	seed         uint64
	seeded       bool
	uncompressed bool
	docker       bool
	gzipLevel    int
	platform     v1.Platform
}

func newOptions(opts []Option) *options {
	o := &options{gzipLevel: gzip.BestSpeed, platform: HostPlatform()}
	for _, f := range opts {
		f(o)
	}
	if !o.seeded {
		var b [8]byte
		_, _ = rand.Read(b[:])
		o.seed = binary.LittleEndian.Uint64(b[:])
	}
	return o
}

// HostPlatform is the platform of the running process (os and architecture).
func HostPlatform() v1.Platform {
	return v1.Platform{OS: runtime.GOOS, Architecture: runtime.GOARCH}
}

// WithSeed makes Random's content, and so its digests, a function of seed.
// Default: a fresh random seed per call.
func WithSeed(seed uint64) Option {
	return func(o *options) { o.seed, o.seeded = seed, true }
}

// Uncompressed stores layers as plain tar instead of gzip.
func Uncompressed() Option {
	return func(o *options) { o.uncompressed = true }
}

// WithDockerMediaTypes uses Docker schema 2 media types instead of OCI ones.
func WithDockerMediaTypes() Option {
	return func(o *options) { o.docker = true }
}

// WithGzipLevel sets the gzip level for compressed layers.
// Default gzip.BestSpeed (random data does not compress anyway).
func WithGzipLevel(level int) Option {
	return func(o *options) { o.gzipLevel = level }
}

// WithPlatform sets the os/architecture/variant in the image config.
// Default HostPlatform().
func WithPlatform(p v1.Platform) Option {
	return func(o *options) { o.platform = p }
}

func (o *options) layerMediaType() types.MediaType {
	switch {
	case o.docker && o.uncompressed:
		return types.DockerUncompressedLayer
	case o.docker:
		return types.DockerLayer
	case o.uncompressed:
		return types.OCIUncompressedLayer
	default:
		return types.OCILayer
	}
}

func (o *options) manifestMediaType() types.MediaType {
	if o.docker {
		return types.DockerManifestSchema2
	}
	return types.OCIManifestSchema1
}

func (o *options) configMediaType() types.MediaType {
	if o.docker {
		return types.DockerConfigJSON
	}
	return types.OCIConfigJSON
}

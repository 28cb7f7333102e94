package testimage

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// NewRandom builds an image of layers layers, each a tar with one file
// "random/layer-N.bin" of layerSize bytes of incompressible data (the tar
// adds 512 bytes of header, padding to 512 and a 1024-byte trailer).
func NewRandom(layers int, layerSize int64, opts ...Option) (v1.Image, error) {
	if layers < 1 || layerSize < 0 {
		return nil, fmt.Errorf("testimage: random image needs layers >= 1 and layerSize >= 0, got %d, %d", layers, layerSize)
	}
	o := newOptions(opts)
	ls := make([]v1.Layer, 0, layers)
	for i := range layers {
		open, err := randomTar(layerSeed(o.seed, i), fmt.Sprintf("random/layer-%d.bin", i), layerSize)
		if err != nil {
			return nil, err
		}
		l, err := newGenLayer(open, o.layerMediaType(), o.gzipLevel)
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
	}
	return build(o, ls, v1.Config{Cmd: []string{"/random"}}, "random")
}

// layerSeed derives the ChaCha8 seed of layer i from the image seed.
func layerSeed(seed uint64, i int) [32]byte {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], seed)
	binary.LittleEndian.PutUint64(b[8:], uint64(i))
	return sha256.Sum256(b[:])
}

// randomTar returns an opener for a tar stream holding one file of size
// pseudo-random bytes from a ChaCha8 stream seeded by seed.
func randomTar(seed [32]byte, name string, size int64) (func() io.Reader, error) {
	var hdr bytes.Buffer
	tw := tar.NewWriter(&hdr)
	err := tw.WriteHeader(&tar.Header{
		Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: size,
		ModTime: epoch, Format: tar.FormatUSTAR,
	})
	if err != nil {
		return nil, err
	}
	// tw is abandoned on purpose: the data and trailer are produced below.
	header := bytes.Clone(hdr.Bytes())
	pad := (512 - size%512) % 512
	trailer := make([]byte, pad+1024)
	return func() io.Reader {
		return io.MultiReader(
			bytes.NewReader(header),
			io.LimitReader(rand.NewChaCha8(seed), size),
			bytes.NewReader(trailer),
		)
	}, nil
}

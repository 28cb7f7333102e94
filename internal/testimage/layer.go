package testimage

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// genLayer is a layer whose uncompressed tar stream is produced on demand by
// open; nothing is kept in memory. Compressed() gzips that stream on the fly
// unless the media type is an uncompressed one, in which case both views are
// the same bytes.
type genLayer struct {
	open      func() io.Reader
	gzipLevel int
	mt        types.MediaType
	digest    v1.Hash
	diffID    v1.Hash
	size      int64
}

var _ v1.Layer = (*genLayer)(nil)

func isUncompressed(mt types.MediaType) bool {
	return mt == types.OCIUncompressedLayer || mt == types.DockerUncompressedLayer
}

// newGenLayer streams the layer once or twice to learn its digests and size.
func newGenLayer(open func() io.Reader, mt types.MediaType, gzipLevel int) (*genLayer, error) {
	l := &genLayer{open: open, mt: mt, gzipLevel: gzipLevel}
	diffID, n, err := hashStream(open())
	if err != nil {
		return nil, err
	}
	l.diffID = diffID
	if isUncompressed(mt) {
		l.digest, l.size = diffID, n
		return l, nil
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	if l.digest, l.size, err = hashStream(rc); err != nil {
		return nil, err
	}
	return l, nil
}

func hashStream(r io.Reader) (v1.Hash, int64, error) {
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return v1.Hash{}, 0, err
	}
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(h.Sum(nil))}, n, nil
}

func (l *genLayer) Digest() (v1.Hash, error)            { return l.digest, nil }
func (l *genLayer) DiffID() (v1.Hash, error)            { return l.diffID, nil }
func (l *genLayer) Size() (int64, error)                { return l.size, nil }
func (l *genLayer) MediaType() (types.MediaType, error) { return l.mt, nil }

func (l *genLayer) Uncompressed() (io.ReadCloser, error) {
	return io.NopCloser(l.open()), nil
}

func (l *genLayer) Compressed() (io.ReadCloser, error) {
	if isUncompressed(l.mt) {
		return l.Uncompressed()
	}
	pr, pw := io.Pipe()
	go func() {
		zw, err := gzip.NewWriterLevel(pw, l.gzipLevel)
		if err != nil {
			pw.CloseWithError(err)
			return
		}
		if _, err := io.Copy(zw, l.open()); err != nil {
			pw.CloseWithError(err)
			return
		}
		pw.CloseWithError(zw.Close())
	}()
	return pr, nil
}

// File is one entry of a layer built by Files or NewFilesLayer.
type File struct {
	Path     string // relative to the root, e.g. "bin/sh"
	Mode     int64  // permission bits; 0 means 0644 (0755 for directories)
	Data     []byte // content of a regular file
	Linkname string // symlink target; makes the entry a symlink
	Dir      bool   // a directory
}

// epoch is the fixed modification time of every entry, for reproducible
// digests.
var epoch = time.Unix(0, 0).UTC()

// tarBytes writes files into an in-memory tar archive.
func tarBytes(files []File) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		hdr := &tar.Header{Name: f.Path, Mode: f.Mode, ModTime: epoch, Format: tar.FormatPAX}
		switch {
		case f.Dir:
			hdr.Typeflag = tar.TypeDir
			if hdr.Mode == 0 {
				hdr.Mode = 0o755
			}
		case f.Linkname != "":
			hdr.Typeflag, hdr.Linkname, hdr.Mode = tar.TypeSymlink, f.Linkname, 0o777
		default:
			hdr.Typeflag, hdr.Size = tar.TypeReg, int64(len(f.Data))
			if hdr.Mode == 0 {
				hdr.Mode = 0o644
			}
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("tar %s: %w", f.Path, err)
		}
		if hdr.Typeflag == tar.TypeReg {
			if _, err := tw.Write(f.Data); err != nil {
				return nil, fmt.Errorf("tar %s: %w", f.Path, err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// NewFilesLayer builds a layer holding files.
func NewFilesLayer(files []File, opts ...Option) (v1.Layer, error) {
	o := newOptions(opts)
	data, err := tarBytes(files)
	if err != nil {
		return nil, err
	}
	return newGenLayer(func() io.Reader { return bytes.NewReader(data) }, o.layerMediaType(), o.gzipLevel)
}

package ocilayout

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/pullwarden/pullwarden/cause"
	"github.com/pullwarden/pullwarden/store"
)

// Names of the layout's files and directories.
const (
	layoutFile = "oci-layout"
	indexFile  = "index.json"
	blobsDir   = "blobs/sha256"
	ingestDir  = "ingest"
	locksDir   = "locks"
	leasesDir  = "leases"

	layoutVersion = "1.0.0"
)

// Store is an OCI image layout directory. It implements store.Store.
type Store struct {
	dir  string
	opts options
	// leases counts this Store's live leases: while any lives, Writer and
	// Info refresh the time of blobs they find present.
	leases atomic.Int64
	// indexMu serialises this process's index.json updates before the flock.
	indexMu sync.Mutex
	// readOnly, when set, is why every write is refused.
	readOnly error
}

var _ store.Store = (*Store)(nil)

// Open opens the OCI image layout at dir, creating the directory, the
// oci-layout file and an empty index.json if missing; it writes nothing
// when they exist. A malformed oci-layout file is an error; index.json is
// read only when used.
//
// A store on a read-only file system, or opened WithReadOnly, can be read
// (Images, Image, Info, Open, Verify); every write (Writer, PutImage,
// DeleteImage, Lease, GC, removing damaged blobs) fails with
// cause.StoreFailed naming the directory. Such a store must have its
// oci-layout file already.
func Open(dir string, opts ...Option) (*Store, error) {
	o := defaults()
	for _, opt := range opts {
		opt(&o)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, storeErr(err, "store directory %s: %v", dir, err)
	}
	s := &Store{dir: abs, opts: o}
	if o.readOnly {
		s.readOnly = errReadOnly
	} else if err := readOnlyFS(abs); err != nil {
		s.readOnly = err
	}
	if s.readOnly != nil {
		return s, s.checkReadOnly()
	}
	for _, d := range []string{blobsDir, ingestDir, locksDir, leasesDir} {
		p := s.path(d)
		if err := os.MkdirAll(p, 0o755); err != nil {
			return nil, storeErr(err, "cannot create %s: %v", p, err)
		}
	}
	if err := s.initLayout(); err != nil {
		return nil, err
	}
	p := s.path(indexFile)
	if _, err := os.Stat(p); err == nil {
		return s, nil
	}
	empty, _ := json.Marshal(emptyIndex())
	if _, err := createFileAtomic(p, append(empty, '\n')); err != nil {
		return nil, storeErr(err, "cannot create %s: %v", p, err)
	}
	return s, nil
}

// Dir returns the store's directory.
func (s *Store) Dir() string { return s.dir }

// ReadOnly reports whether the store refuses writes: opened WithReadOnly
// or on a read-only file system.
func (s *Store) ReadOnly() bool { return s.readOnly != nil }

func (s *Store) initLayout() error {
	p := s.path(layoutFile)
	b, err := os.ReadFile(p)
	if isNotExist(err) {
		want := []byte(`{"imageLayoutVersion":"` + layoutVersion + `"}` + "\n")
		if _, err := createFileAtomic(p, want); err != nil {
			return storeErr(err, "cannot create %s: %v", p, err)
		}
		b, err = os.ReadFile(p)
	}
	if err != nil {
		return storeErr(err, "cannot read %s: %v", p, err)
	}
	return checkLayout(p, b)
}

// checkLayout validates the content of an oci-layout file.
func checkLayout(path string, b []byte) error {
	var l struct {
		Version *string `json:"imageLayoutVersion"`
	}
	if err := json.Unmarshal(b, &l); err != nil {
		return storeErr(err, "%s is not a valid oci-layout file: %v", path, err)
	}
	if l.Version == nil {
		return storeErr(nil, "%s is not a valid oci-layout file: imageLayoutVersion is missing", path)
	}
	if !strings.HasPrefix(*l.Version, "1.") {
		return storeErr(nil, "%s: unsupported imageLayoutVersion %q (want 1.x)", path, *l.Version)
	}
	return nil
}

func (s *Store) path(rel string) string { return filepath.Join(s.dir, filepath.FromSlash(rel)) }

func (s *Store) blobPath(h v1.Hash) string {
	return filepath.Join(s.dir, filepath.FromSlash(blobsDir), h.Hex)
}

// ingestPath is the data file of a partial download of desc; its name
// carries the digest and size, so no metadata file is needed.
func (s *Store) ingestPath(desc v1.Descriptor) string {
	return filepath.Join(s.dir, ingestDir, desc.Digest.Hex+"-"+strconv.FormatInt(desc.Size, 10))
}

// parseIngestName returns the digest and size an ingest data file's name
// carries, ok false for other names.
func parseIngestName(name string) (h v1.Hash, size int64, ok bool) {
	hx, sz, found := strings.Cut(name, "-")
	if !found {
		return h, 0, false
	}
	h = v1.Hash{Algorithm: "sha256", Hex: hx}
	size, err := strconv.ParseInt(sz, 10, 64)
	if err != nil || size < 0 || checkDigest(h) != nil || strconv.FormatInt(size, 10) != sz {
		return h, 0, false
	}
	return h, size, true
}

// checkDigest accepts only sha256 digests, the only algorithm stored.
func checkDigest(h v1.Hash) error {
	if h.Algorithm != "sha256" || len(h.Hex) != 64 || strings.Trim(h.Hex, "0123456789abcdef") != "" {
		return fmt.Errorf("unsupported digest %q: the store keeps sha256 blobs only", h.String())
	}
	return nil
}

// storeErr is a cause.StoreFailed error; messages name the file.
func storeErr(err error, format string, args ...any) error {
	return cause.Wrap(cause.StoreFailed, err, format, args...)
}

func notFound(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), store.ErrNotFound)
}

func isNotExist(err error) bool { return errors.Is(err, os.ErrNotExist) }

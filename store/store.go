package store

import (
	"context"
	"errors"
	"io"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Errors matched with errors.Is.
var (
	// ErrNotFound: no such blob or image.
	ErrNotFound = errors.New("not found")
	// ErrAlreadyExists: the blob is committed already; nothing to write.
	ErrAlreadyExists = errors.New("already exists")
)

// Image is a named image in the store.
type Image struct {
	// Name is the normalised reference, "docker.io/library/nginx:latest".
	Name string
	// Target is the platform-specific manifest the name stands for.
	Target v1.Descriptor
	// RepoDigest is the digest the registry resolved the name to: the
	// image index for a multi-platform image, else equal to Target.Digest.
	RepoDigest v1.Hash
	// Created is when the name was last recorded.
	Created time.Time
}

// Info describes a committed blob.
type Info struct {
	Digest v1.Hash
	Size   int64
}

// Store is the local image store. All methods are safe for concurrent use,
// also by several processes sharing one store.
type Store interface {
	// Info returns a committed blob's size, or ErrNotFound.
	Info(ctx context.Context, dgst v1.Hash) (Info, error)
	// Open reads a committed blob, or returns ErrNotFound.
	Open(ctx context.Context, dgst v1.Hash) (io.ReadCloser, error)
	// Writer starts or resumes writing the blob desc (Digest and Size set).
	// It returns ErrAlreadyExists when the blob is committed. It waits, as
	// long as ctx allows, while another writer holds the same blob.
	Writer(ctx context.Context, desc v1.Descriptor) (Writer, error)
	// PutImage records img, replacing any record of the same name. Its
	// Target blob must be committed.
	PutImage(ctx context.Context, img Image) error
	// Image returns the record of a name, or ErrNotFound.
	Image(ctx context.Context, name string) (Image, error)
	// Images lists all records, sorted by name.
	Images(ctx context.Context) ([]Image, error)
	// DeleteImage removes a name (its blobs stay until GC), or returns
	// ErrNotFound.
	DeleteImage(ctx context.Context, name string) error
	// Lease protects everything written until release is called from GC.
	Lease(ctx context.Context) (release func() error, err error)
	// GC deletes blobs that no image references, directly or through a
	// manifest or index, and ingests older than the store's ingest expiry.
	GC(ctx context.Context) (GCResult, error)
}

// Writer writes one blob. Its content is durable before Commit makes it
// visible; a store may defer making the blob's name durable until the next
// PutImage (store/ocilayout syncs its blobs directory once per image).
type Writer interface {
	io.Writer
	// Offset is the number of bytes already written, including data kept
	// from an earlier, interrupted writer.
	Offset() int64
	// Truncate discards everything written so far; only size 0 is
	// supported. Used when a registry ignores a Range request.
	Truncate(size int64) error
	// Commit verifies size and digest and makes the blob visible. On a
	// mismatch the data is discarded and the error has cause.DigestMismatch.
	// Committing a blob that another writer committed meanwhile succeeds.
	Commit(ctx context.Context) error
	// Close releases the writer. Uncommitted data stays for a later resume.
	Close() error
}

// GCResult says what GC removed.
type GCResult struct {
	Blobs   int
	Ingests int
	Bytes   int64
}

package registry

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/pullwarden/pullwarden/cause"
	"github.com/pullwarden/pullwarden/store"
)

// memStore is a small in-memory store.Store honouring the writer contract:
// uncommitted data survives Close for a later resume, Truncate(0), and
// Commit verifying size and digest (discarding the data on a mismatch).
type memStore struct {
	mu      sync.Mutex
	blobs   map[v1.Hash][]byte
	ingests map[v1.Hash][]byte
	busy    map[v1.Hash]chan struct{}
	images  map[string]store.Image
}

func newMemStore() *memStore {
	return &memStore{blobs: map[v1.Hash][]byte{}, ingests: map[v1.Hash][]byte{},
		busy: map[v1.Hash]chan struct{}{}, images: map[string]store.Image{}}
}

func (m *memStore) Info(_ context.Context, d v1.Hash) (store.Info, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.blobs[d]
	if !ok {
		return store.Info{}, store.ErrNotFound
	}
	return store.Info{Digest: d, Size: int64(len(b))}, nil
}

func (m *memStore) Open(_ context.Context, d v1.Hash) (io.ReadCloser, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.blobs[d]
	if !ok {
		return nil, store.ErrNotFound
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func (m *memStore) Writer(ctx context.Context, desc v1.Descriptor) (store.Writer, error) {
	for {
		m.mu.Lock()
		if _, ok := m.blobs[desc.Digest]; ok {
			m.mu.Unlock()
			return nil, store.ErrAlreadyExists
		}
		wait, held := m.busy[desc.Digest]
		if !held {
			m.busy[desc.Digest] = make(chan struct{})
			m.mu.Unlock()
			return &memWriter{m: m, desc: desc}, nil
		}
		m.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (m *memStore) PutImage(_ context.Context, img store.Image) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.images[img.Name] = img
	return nil
}

func (m *memStore) Image(_ context.Context, name string) (store.Image, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	img, ok := m.images[name]
	if !ok {
		return store.Image{}, store.ErrNotFound
	}
	return img, nil
}

func (m *memStore) Images(context.Context) ([]store.Image, error) { return nil, nil }
func (m *memStore) DeleteImage(context.Context, string) error     { return nil }
func (m *memStore) Lease(context.Context) (func() error, error) {
	return func() error { return nil }, nil
}
func (m *memStore) GC(context.Context) (store.GCResult, error) { return store.GCResult{}, nil }

// has reports whether d is committed; ingested reports uncommitted bytes.
func (m *memStore) has(d v1.Hash) bool { _, err := m.Info(context.Background(), d); return err == nil }
func (m *memStore) blob(d v1.Hash) []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.blobs[d]
}

type memWriter struct {
	m      *memStore
	desc   v1.Descriptor
	closed bool
}

func (w *memWriter) Write(p []byte) (int, error) {
	w.m.mu.Lock()
	defer w.m.mu.Unlock()
	w.m.ingests[w.desc.Digest] = append(w.m.ingests[w.desc.Digest], p...)
	return len(p), nil
}

func (w *memWriter) Offset() int64 {
	w.m.mu.Lock()
	defer w.m.mu.Unlock()
	return int64(len(w.m.ingests[w.desc.Digest]))
}

func (w *memWriter) Truncate(size int64) error {
	if size != 0 {
		return errors.New("only Truncate(0) is supported")
	}
	w.m.mu.Lock()
	defer w.m.mu.Unlock()
	delete(w.m.ingests, w.desc.Digest)
	return nil
}

func (w *memWriter) Commit(context.Context) error {
	w.m.mu.Lock()
	defer w.m.mu.Unlock()
	b := w.m.ingests[w.desc.Digest]
	delete(w.m.ingests, w.desc.Digest)
	sum := sha256.Sum256(b)
	if int64(len(b)) != w.desc.Size || hex.EncodeToString(sum[:]) != w.desc.Digest.Hex {
		return cause.New(cause.DigestMismatch, "blob %s: got %d bytes hashing to sha256:%x", w.desc.Digest, len(b), sum)
	}
	w.m.blobs[w.desc.Digest] = b
	return nil
}

func (w *memWriter) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	w.m.mu.Lock()
	defer w.m.mu.Unlock()
	close(w.m.busy[w.desc.Digest])
	delete(w.m.busy, w.desc.Digest)
	return nil
}

package pull

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// PullRecords remembers, durably, which credentials pulled which image and
// which pulls are under way: the kubelet's ImagePulledRecords and
// ImagePullIntents of KEP-2535. The node agent keeps them under its data
// directory (FileRecords); the default is in memory. Implementations are
// safe for concurrent use.
type PullRecords interface {
	// PulledRecord returns the record of an image (its manifest digest),
	// ok false when there is none.
	PulledRecord(ctx context.Context, imageRef string) (rec PulledRecord, ok bool, err error)
	// WritePulledRecord creates or replaces the record of rec.ImageRef.
	WritePulledRecord(ctx context.Context, rec PulledRecord) error
	// WriteIntent records that image (a normalised reference) is being
	// pulled; DeleteIntent forgets it; IntentExists tells.
	WriteIntent(ctx context.Context, image string) error
	DeleteIntent(ctx context.Context, image string) error
	IntentExists(ctx context.Context, image string) (bool, error)
}

// PulledRecord says which credentials pulled one image, per repository
// name the image was pulled as.
type PulledRecord struct {
	// ImageRef is the image's manifest digest.
	ImageRef    string    `json:"imageRef"`
	LastUpdated time.Time `json:"lastUpdatedTime"`
	// Credentials maps a repository ("docker.io/library/nginx") to the
	// credentials that pulled the image under that name.
	Credentials map[string]PullCredentials `json:"credentialMapping"`
}

// PullCredentials are the credentials recorded for one repository.
type PullCredentials struct {
	// NodeAccessible: pulled without a pod's secret (anonymously or with
	// the node's credentials): every pod on the node may use it.
	NodeAccessible bool `json:"nodePodsAccessible,omitempty"`
	// Secrets that pulled it, with a hash of their credentials.
	Secrets []SecretCredential `json:"kubernetesSecrets,omitempty"`
}

// SecretCredential identifies the secret credentials that pulled an image;
// CredentialHash is credential.Credential.Hash, never the secret.
type SecretCredential struct {
	UID            string `json:"uid"`
	Namespace      string `json:"namespace"`
	Name           string `json:"name"`
	CredentialHash string `json:"credentialHash"`
}

// MemoryRecords is a PullRecords in memory (lost at exit).
type MemoryRecords struct {
	mu      sync.Mutex
	pulled  map[string]PulledRecord
	intents map[string]bool
}

// NewMemoryRecords returns empty in-memory records.
func NewMemoryRecords() *MemoryRecords {
	return &MemoryRecords{pulled: map[string]PulledRecord{}, intents: map[string]bool{}}
}

func (m *MemoryRecords) PulledRecord(_ context.Context, ref string) (PulledRecord, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.pulled[ref]
	return r, ok, nil
}

func (m *MemoryRecords) WritePulledRecord(_ context.Context, r PulledRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pulled[r.ImageRef] = r
	return nil
}

func (m *MemoryRecords) WriteIntent(_ context.Context, image string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.intents[image] = true
	return nil
}

func (m *MemoryRecords) DeleteIntent(_ context.Context, image string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.intents, image)
	return nil
}

func (m *MemoryRecords) IntentExists(_ context.Context, image string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.intents[image], nil
}

// FileRecords is a PullRecords in a directory: DIR/pulled/<sha256 of the
// image ref>.json and DIR/pulling/<sha256 of the image>.json, each written
// atomically (temporary file, fsync, rename) with mode 0600. A record that
// cannot be read counts as absent, so the pod has to prove its access.
type FileRecords struct {
	dir string
}

// NewFileRecords uses (and creates) dir.
func NewFileRecords(dir string) (*FileRecords, error) {
	for _, sub := range []string{"pulled", "pulling"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return nil, fmt.Errorf("image pull records: %w", err)
		}
	}
	return &FileRecords{dir: dir}, nil
}

func (f *FileRecords) path(kind, key string) string {
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(f.dir, kind, hex.EncodeToString(sum[:])+".json")
}

func (f *FileRecords) PulledRecord(_ context.Context, ref string) (PulledRecord, bool, error) {
	p := f.path("pulled", ref)
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return PulledRecord{}, false, nil
	}
	if err != nil {
		return PulledRecord{}, false, fmt.Errorf("image pull record %s: %w", p, err)
	}
	var r PulledRecord
	if err := json.Unmarshal(b, &r); err != nil || r.ImageRef != ref {
		return PulledRecord{}, false, fmt.Errorf("image pull record %s is damaged", p)
	}
	return r, true, nil
}

func (f *FileRecords) WritePulledRecord(_ context.Context, r PulledRecord) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return writeAtomic(f.path("pulled", r.ImageRef), b)
}

func (f *FileRecords) WriteIntent(_ context.Context, image string) error {
	b, _ := json.Marshal(map[string]string{"image": image})
	return writeAtomic(f.path("pulling", image), b)
}

func (f *FileRecords) DeleteIntent(_ context.Context, image string) error {
	err := os.Remove(f.path("pulling", image))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

func (f *FileRecords) IntentExists(_ context.Context, image string) (bool, error) {
	_, err := os.Stat(f.path("pulling", image))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

func writeAtomic(path string, data []byte) (err error) {
	t, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("image pull records: %w", err)
	}
	defer func() {
		if err != nil {
			_ = os.Remove(t.Name())
		}
	}()
	if _, err = t.Write(data); err == nil {
		err = t.Sync()
	}
	if cerr := t.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(t.Name(), path)
	}
	if err == nil {
		err = syncDir(filepath.Dir(path))
	}
	if err != nil {
		return fmt.Errorf("image pull records: writing %s: %w", path, err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

package objects

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pullwarden/pullwarden/clock"
	"github.com/pullwarden/pullwarden/manifest"
)

var (
	metaBucket  = []byte("meta")
	stateBucket = []byte("state")
	rvKey       = []byte("resourceVersion")
)

// Store is the object store. It is safe for concurrent use.
type Store struct {
	db   *bolt.DB
	path string
	now  func() time.Time
	log  *slog.Logger
	node string

	mu       sync.Mutex // serialises writes with watcher registration
	watchers map[*watcher]struct{}
	history  []Event // recent writes, oldest first
}

type options struct {
	now     func() time.Time
	log     *slog.Logger
	timeout time.Duration
	node    string
}

// Option configures Open.
type Option func(*options)

// WithClock sets the clock for creationTimestamp (default: the wall clock).
func WithClock(c clock.PassiveClock) Option { return func(o *options) { o.now = c.Now } }

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithNodeName binds every new pod that names no node to this one, as the
// scheduler of a one-node cluster would (default: pods stay unbound).
func WithNodeName(name string) Option { return func(o *options) { o.node = name } }

// WithLockTimeout sets how long Open waits for another process holding the
// database (default 2s).
func WithLockTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// Open opens or creates the store at path (mode 0600) and makes sure the
// "default" namespace and its ServiceAccount exist.
func Open(path string, opts ...Option) (s *Store, err error) {
	o := options{now: time.Now, log: slog.New(slog.NewTextHandler(io.Discard, nil)), timeout: 2 * time.Second}
	for _, f := range opts {
		f(&o)
	}
	if fi, statErr := os.Stat(path); statErr == nil && fi.IsDir() {
		return nil, fmt.Errorf("open object store %s: is a directory", path)
	}
	defer func() {
		// bbolt may panic on some damaged files instead of failing.
		if r := recover(); r != nil {
			s, err = nil, fmt.Errorf("open object store %s: corrupt or unreadable database: %v", path, r)
		}
	}()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: o.timeout})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("open object store %s: locked by another process (is another pullwarden serve running?)", path)
	}
	if err != nil {
		return nil, fmt.Errorf("open object store %s: corrupt or unreadable database: %w", path, err)
	}
	s = &Store{db: db, path: path, now: o.now, log: o.log, node: o.node, watchers: map[*watcher]struct{}{}}
	var events []Event
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{metaBucket, stateBucket} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		for _, k := range manifest.Kinds {
			if _, err := tx.CreateBucketIfNotExists([]byte(k.Resource)); err != nil {
				return err
			}
		}
		if b := tx.Bucket([]byte(manifest.Namespace.Resource)); b.Get(key("", manifest.DefaultNamespace)) == nil {
			ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: manifest.DefaultNamespace}}
			return s.createTx(tx, ns, &events)
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open object store %s: %w", path, err)
	}
	return s, nil
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Close closes the database and ends every watch.
func (s *Store) Close() error {
	s.mu.Lock()
	for w := range s.watchers {
		w.stop()
		delete(s.watchers, w)
	}
	s.mu.Unlock()
	return s.db.Close()
}

// ResourceVersion is the store's current resourceVersion: the version of the
// last write.
func (s *Store) ResourceVersion() (string, error) {
	var rv uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		rv = currentRV(tx)
		return nil
	})
	return strconv.FormatUint(rv, 10), err
}

func key(namespace, name string) []byte { return []byte(namespace + "/" + name) }

func currentRV(tx *bolt.Tx) uint64 {
	v := tx.Bucket(metaBucket).Get(rvKey)
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

func nextRV(tx *bolt.Tx) (string, error) {
	rv := currentRV(tx) + 1
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], rv)
	if err := tx.Bucket(metaBucket).Put(rvKey, b[:]); err != nil {
		return "", err
	}
	return strconv.FormatUint(rv, 10), nil
}

func decode(k manifest.Kind, data []byte) (manifest.Object, error) {
	obj := k.New()
	if err := json.Unmarshal(data, obj); err != nil {
		return nil, fmt.Errorf("stored %s is unreadable: %w", k.Name, err)
	}
	manifest.SetTypeMeta(obj)
	return obj, nil
}

// getTx reads one object, or nil when absent.
func getTx(tx *bolt.Tx, k manifest.Kind, namespace, name string) (manifest.Object, error) {
	data := tx.Bucket([]byte(k.Resource)).Get(key(namespace, name))
	if data == nil {
		return nil, nil
	}
	return decode(k, data)
}

func putTx(tx *bolt.Tx, k manifest.Kind, obj manifest.Object) error {
	manifest.SetTypeMeta(obj)
	data, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	return tx.Bucket([]byte(k.Resource)).Put(key(obj.GetNamespace(), obj.GetName()), data)
}

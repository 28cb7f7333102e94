package objects

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	bolt "go.etcd.io/bbolt"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/pullwarden/pullwarden/manifest"
)

const (
	historySize = 1024
	maxPending  = 10000
)

// Event is one change of one object. Each watcher gets its own copy.
type Event struct {
	Type   watch.EventType // watch.Added, watch.Modified or watch.Deleted
	Object manifest.Object
}

// WatchOption configures Watch.
type WatchOption func(*watchOptions)

type watchOptions struct{ rv string }

// FromResourceVersion starts the watch after resourceVersion rv instead of
// with the current objects. "" and "0" mean "current objects first".
func FromResourceVersion(rv string) WatchOption { return func(o *watchOptions) { o.rv = rv } }

type watcher struct {
	kind      manifest.Kind
	namespace string

	mu      sync.Mutex
	pending []Event
	wake    chan struct{}
	done    chan struct{}
	once    sync.Once
}

func (w *watcher) stop() { w.once.Do(func() { close(w.done) }) }

func (w *watcher) matches(e Event) bool {
	k, _ := manifest.KindOf(e.Object)
	return k.Name == w.kind.Name && (w.namespace == "" || !k.Namespaced || e.Object.GetNamespace() == w.namespace)
}

// push queues e; false when the watcher has fallen too far behind.
func (w *watcher) push(e Event) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.pending) >= maxPending {
		return false
	}
	w.pending = append(w.pending, Event{Type: e.Type, Object: e.Object.DeepCopyObject().(manifest.Object)})
	select {
	case w.wake <- struct{}{}:
	default:
	}
	return true
}

// Watch streams changes to objects of kind k in namespace ("" for all). The
// channel closes when ctx ends, the store closes, or the watcher falls too
// far behind.
func (s *Store) Watch(ctx context.Context, k manifest.Kind, namespace string, opts ...WatchOption) (<-chan Event, error) {
	var o watchOptions
	for _, f := range opts {
		f(&o)
	}
	if !k.Namespaced {
		namespace = ""
	}
	w := &watcher{kind: k, namespace: namespace, wake: make(chan struct{}, 1), done: make(chan struct{})}
	s.mu.Lock()
	if err := s.startWatch(w, o.rv); err != nil {
		s.mu.Unlock()
		return nil, err
	}
	s.watchers[w] = struct{}{}
	s.mu.Unlock()

	out := make(chan Event)
	go func() {
		defer close(out)
		defer func() {
			s.mu.Lock()
			delete(s.watchers, w)
			s.mu.Unlock()
		}()
		for {
			w.mu.Lock()
			batch := w.pending
			w.pending = nil
			w.mu.Unlock()
			for _, e := range batch {
				select {
				case out <- e:
				case <-ctx.Done():
					return
				case <-w.done:
					return
				}
			}
			select {
			case <-w.wake:
			case <-ctx.Done():
				return
			case <-w.done:
				return
			}
		}
	}()
	return out, nil
}

// startWatch fills w's queue with its starting events. Called with s.mu held.
func (s *Store) startWatch(w *watcher, rv string) error {
	if rv == "" || rv == "0" {
		return s.db.View(func(tx *bolt.Tx) error {
			items, err := listTx(tx, w.kind, w.namespace)
			for _, obj := range items {
				w.pending = append(w.pending, Event{Type: watch.Added, Object: obj})
			}
			return err
		})
	}
	from, err := strconv.ParseUint(rv, 10, 64)
	if err != nil {
		return apierrors.NewBadRequest(fmt.Sprintf("invalid resource version %q", rv))
	}
	var current uint64
	if err := s.db.View(func(tx *bolt.Tx) error { current = currentRV(tx); return nil }); err != nil {
		return err
	}
	oldest := current + 1
	if len(s.history) > 0 {
		oldest, _ = strconv.ParseUint(s.history[0].Object.GetResourceVersion(), 10, 64)
	}
	if from+1 < oldest && from < current {
		return apierrors.NewResourceExpired(fmt.Sprintf("too old resource version: %d (%d)", from, current))
	}
	for _, e := range s.history {
		erv, _ := strconv.ParseUint(e.Object.GetResourceVersion(), 10, 64)
		if erv > from && w.matches(e) {
			w.pending = append(w.pending, Event{Type: e.Type, Object: e.Object.DeepCopyObject().(manifest.Object)})
		}
	}
	return nil
}

// broadcast records committed events and hands them to the watchers. Called
// with s.mu held.
func (s *Store) broadcast(events []Event) {
	if len(events) == 0 {
		return
	}
	s.history = append(s.history, events...)
	if n := len(s.history) - historySize; n > 0 {
		s.history = append([]Event(nil), s.history[n:]...)
	}
	for w := range s.watchers {
		for _, e := range events {
			if !w.matches(e) {
				continue
			}
			if !w.push(e) {
				s.log.Warn("watcher fell behind; closing it", "kind", w.kind.Name, "namespace", w.namespace)
				w.stop()
				delete(s.watchers, w)
				break
			}
		}
	}
}

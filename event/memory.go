package event

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
)

// Memory is a Sink that keeps events in memory, keyed by namespace/name,
// and assigns increasing resourceVersions. Useful for tests and as a
// reference for other sinks.
type Memory struct {
	mu      sync.Mutex
	rv      int
	events  map[string]*corev1.Event
	creates int
	updates int
}

// NewMemory returns an empty Memory sink.
func NewMemory() *Memory { return &Memory{events: map[string]*corev1.Event{}} }

func memKey(ev *corev1.Event) string { return ev.Namespace + "/" + ev.Name }

// Create stores a new event; it fails if the name is taken.
func (m *Memory) Create(_ context.Context, ev *corev1.Event) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := memKey(ev)
	if _, ok := m.events[k]; ok {
		return fmt.Errorf("event %s already exists", k)
	}
	m.rv++
	ev.ResourceVersion = strconv.Itoa(m.rv)
	m.events[k] = ev.DeepCopy()
	m.creates++
	return nil
}

// Update replaces a stored event; it returns ErrNotFound if there is none.
func (m *Memory) Update(_ context.Context, ev *corev1.Event) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := memKey(ev)
	if _, ok := m.events[k]; !ok {
		return fmt.Errorf("update %s: %w", k, ErrNotFound)
	}
	m.rv++
	ev.ResourceVersion = strconv.Itoa(m.rv)
	m.events[k] = ev.DeepCopy()
	m.updates++
	return nil
}

// Delete removes an event (as the API server's TTL would).
func (m *Memory) Delete(namespace, name string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.events, namespace+"/"+name)
}

// List returns copies of the stored events ordered by firstTimestamp, then name.
func (m *Memory) List() []corev1.Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]corev1.Event, 0, len(m.events))
	for _, ev := range m.events {
		out = append(out, *ev.DeepCopy())
	}
	slices.SortFunc(out, func(a, b corev1.Event) int {
		if c := a.FirstTimestamp.Compare(b.FirstTimestamp.Time); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out
}

// Writes returns how many Create and Update calls succeeded.
func (m *Memory) Writes() (creates, updates int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.creates, m.updates
}

package containerd_test

import (
	"sync"
	"testing"

	"github.com/pullwarden/pullwarden/internal/testcontainerd"
	"github.com/pullwarden/pullwarden/store"
	"github.com/pullwarden/pullwarden/store/containerd"
	"github.com/pullwarden/pullwarden/store/storetest"
)

// open connects a Store to a daemon and closes it with the test.
func open(t *testing.T, address string, opts ...containerd.Option) *containerd.Store {
	t.Helper()
	s, err := containerd.Open(t.Context(), address, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestConformance runs store/storetest on containerd. Each case gets its own
// daemon: containerd's GC is daemon-wide, so a case's GC would collect
// another case's blobs that are (by design) not yet named or leased.
func TestConformance(t *testing.T) {
	var addr sync.Map // store.Store -> daemon address
	storetest.Run(t, storetest.Factory{
		New: func(t *testing.T) store.Store {
			c := testcontainerd.Start(t)
			s := open(t, c.Address)
			addr.Store(s, c.Address)
			return s
		},
		Reopen: func(t *testing.T, s store.Store) store.Store {
			a, _ := addr.Load(s)
			return open(t, a.(string))
		},
	})
}

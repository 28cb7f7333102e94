package registry

import (
	"sync"
	"sync/atomic"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// State is where one blob's transfer stands.
type State int

// The states a blob passes through. A blob reports Waiting first, then
// Present (already in the store: nothing transferred) or Downloading or
// Resuming (continuing earlier data), possibly Retrying and Downloading
// again, then Verifying and Done.
const (
	Waiting State = iota
	Resuming
	Downloading
	Retrying
	Verifying
	Done
	Present
)

var stateNames = [...]string{"Waiting", "Resuming", "Downloading", "Retrying", "Verifying", "Done", "Present"}

func (s State) String() string {
	if s < 0 || int(s) >= len(stateNames) {
		return "State(?)"
	}
	return stateNames[s]
}

// Progress is one report about one blob (manifests included). Done counts
// the bytes of the blob the store holds, including bytes kept from an
// earlier interrupted pull.
type Progress struct {
	Digest    v1.Hash
	MediaType types.MediaType
	Total     int64
	Done      int64
	State     State
}

// reporter calls the user's callback one report at a time, so the callback
// needs no locking although blobs download in parallel.
type reporter struct {
	mu sync.Mutex
	fn func(Progress)
}

func (r *reporter) report(desc v1.Descriptor, done int64, st State) {
	if r == nil || r.fn == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fn(Progress{Digest: desc.Digest, MediaType: desc.MediaType, Total: desc.Size, Done: done, State: st})
}

// counter is a concurrent byte count.
type counter struct{ n atomic.Int64 }

func (c *counter) add(n int64) { c.n.Add(n) }
func (c *counter) load() int64 { return c.n.Load() }

package registry

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrreg "github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/pullwarden/pullwarden/reference"
)

// blobBarrier holds the first n blob GETs of each round until all n are in
// flight (or their request ends), so that a fetch provably uses n
// connections at once.
type blobBarrier struct {
	next    http.Handler
	n       int
	mu      sync.Mutex
	arrived int
	release chan struct{}
}

func (b *blobBarrier) reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.arrived, b.release = 0, make(chan struct{})
}

func (b *blobBarrier) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/") {
		b.mu.Lock()
		b.arrived++
		release, wait := b.release, b.arrived <= b.n
		if b.arrived == b.n {
			close(release)
		}
		b.mu.Unlock()
		if wait {
			select {
			case <-release:
			case <-r.Context().Done():
				return
			}
		}
	}
	b.next.ServeHTTP(w, r)
}

// TestDefaultTransportKeepsParallelConnections: with the default transport,
// a second pull of Parallel blobs at once reuses the connections of the
// first instead of dialing again (http.Transport keeps only 2 idle
// connections per host unless told otherwise).
func TestDefaultTransportKeepsParallelConnections(t *testing.T) {
	t.Parallel()
	const parallel = 8
	reg := ggcrreg.New(quiet())
	push := httptest.NewServer(reg) // pushes bypass the barrier and the count
	t.Cleanup(push.Close)
	bar := &blobBarrier{next: reg, n: parallel}
	var dials atomic.Int64
	srv := httptest.NewUnstartedServer(bar)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			dials.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")

	var refs []reference.Reference
	for _, tag := range []string{"a", "b"} {
		img, err := random.Image(4<<10, parallel) // config + 8 layers: 9 blobs
		if err != nil {
			t.Fatal(err)
		}
		dst, err := name.ParseReference(strings.TrimPrefix(push.URL, "http://")+"/app/conns:"+tag, name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Write(dst, img); err != nil {
			t.Fatal(err)
		}
		refs = append(refs, reference.MustParse(host+"/app/conns:"+tag))
	}

	c := testClient(newFakeClock(), func(o *Options) { o.Parallel = parallel })
	for i, ref := range refs {
		bar.reset()
		before := dials.Load()
		if _, err := c.Fetch(t.Context(), ref, nil, newMemStore(), nil); err != nil {
			t.Fatal(err)
		}
		opened := dials.Load() - before
		t.Logf("fetch %d opened %d connections", i+1, opened)
		if i == 0 && opened < parallel {
			t.Fatalf("first fetch opened %d connections; the barrier should have forced %d", opened, parallel)
		}
		// Slack of 2: a connection may still be on its way back to the
		// pool, and one is redialed in practice. With the stock 2 idle
		// connections per host this is 7.
		if i == 1 && opened > 2 {
			t.Fatalf("second fetch opened %d new connections; want the %d idle ones reused", opened, parallel)
		}
	}
}

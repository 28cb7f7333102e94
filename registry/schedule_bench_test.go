package registry

import (
	"crypto/rand"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/pullwarden/pullwarden/internal/faultproxy"
)

// layeredImage is an image of uncompressed random layers of the given
// sizes, in that manifest order.
func layeredImage(tb testing.TB, sizes ...int) v1.Image {
	tb.Helper()
	img := empty.Image
	for _, n := range sizes {
		b := make([]byte, n)
		rand.Read(b)
		var err error
		if img, err = mutate.AppendLayers(img, static.NewLayer(b, types.OCILayer)); err != nil {
			tb.Fatal(err)
		}
	}
	return img
}

// TestLargestBlobsFirst: blobs start in decreasing size, whatever their
// order in the manifest, so the longest transfer does not start last.
func TestLargestBlobsFirst(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	img := layeredImage(t, 1<<10, 3<<10, 2<<10, 5<<10, 4<<10)
	ref := e.push(t, "app/order:v1", img)
	mf, _ := img.Manifest()
	size := map[string]int64{mf.Config.Digest.String(): mf.Config.Size}
	for _, l := range mf.Layers {
		size[l.Digest.String()] = l.Size
	}
	c := testClient(newFakeClock(), func(o *Options) { o.Parallel = 1 })
	if _, err := c.Fetch(t.Context(), ref, nil, newMemStore(), nil); err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, r := range e.proxy.Requests() {
		if r.Method == "GET" && strings.Contains(r.Path, "/blobs/") {
			got = append(got, size[r.Path[strings.LastIndex(r.Path, "/")+1:]])
		}
	}
	if len(got) != len(size) {
		t.Fatalf("blob sizes in request order %v, want %d blobs", got, len(size))
	}
	for i := 1; i < len(got); i++ {
		if got[i] > got[i-1] {
			t.Fatalf("blob sizes in request order %v, want largest first", got)
		}
	}
}

// BenchmarkFetchLargeLast pulls an image whose largest layer comes last
// in the manifest (the shape of most real images: a base, small steps,
// then the application) over connections capped at about 6 MB/s each,
// as a CDN caps them, so that the order in which blobs start shows.
func BenchmarkFetchLargeLast(b *testing.B) {
	e := newEnv(b)
	const mib = 1 << 20
	img := layeredImage(b, 2*mib, 2*mib, 2*mib, 2*mib, 2*mib, 2*mib, 2*mib, 16*mib)
	ref := e.push(b, "bench/largelast:v1", img)
	e.proxy.Add(faultproxy.Rule{Method: "GET", Path: blobs, Fault: faultproxy.Fault{Kind: faultproxy.Trickle, N: 64 << 10, Tick: 10 * time.Millisecond}})
	c := New(Options{Sleep: newFakeClock().Sleep})
	for b.Loop() {
		if _, err := c.Fetch(b.Context(), ref, nil, newMemStore(), nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkResumeCuts pulls 8 layers of 6 MiB with the default retry
// policy (real backoff waits), uncut and with every blob cut twice after
// some progress: reconnecting at once keeps the cut pull near the uncut.
func BenchmarkResumeCuts(b *testing.B) {
	e := newEnv(b)
	const mib = 1 << 20
	img := layeredImage(b, 6*mib, 6*mib, 6*mib, 6*mib, 6*mib, 6*mib, 6*mib, 6*mib)
	ref := e.push(b, "bench/cuts:v1", img)
	mf, _ := img.Manifest()
	for _, cut := range []bool{false, true} {
		name := "uncut"
		if cut {
			name = "cut-twice"
		}
		b.Run(name, func(b *testing.B) {
			c := New(Options{})
			for b.Loop() {
				e.proxy.Reset()
				if cut {
					for _, l := range mf.Layers {
						p := "/blobs/" + l.Digest.String()
						e.proxy.Add(faultproxy.Rule{Method: "GET", Path: p, Times: 1, Fault: faultproxy.Fault{Kind: faultproxy.Cut, N: 2 * mib}})
						e.proxy.Add(faultproxy.Rule{Method: "GET", Path: p, Times: 1, Fault: faultproxy.Fault{Kind: faultproxy.Cut, N: 2 * mib}})
					}
				}
				if _, err := c.Fetch(b.Context(), ref, nil, newMemStore(), nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

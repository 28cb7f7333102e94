package registry

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrreg "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/pullwarden/pullwarden/clock"
	"github.com/pullwarden/pullwarden/internal/faultproxy"
	"github.com/pullwarden/pullwarden/reference"
)

// env is ggcr's in-process registry behind a fault proxy.
type env struct {
	handler  http.Handler
	upstream *httptest.Server
	proxy    *faultproxy.Proxy
	front    *httptest.Server
	host     string // the proxy's host:port, what clients use
}

func newEnv(t testing.TB) *env {
	t.Helper()
	return newEnvWith(t, ggcrreg.New(quiet()), nil)
}

// newEnvWith serves push (direct pushes) and front (behind the proxy; nil:
// push itself).
func newEnvWith(t testing.TB, push, front http.Handler) *env {
	t.Helper()
	e := &env{handler: push, upstream: httptest.NewServer(push)}
	t.Cleanup(e.upstream.Close)
	backend := e.upstream
	if front != nil {
		backend = httptest.NewServer(front)
		t.Cleanup(backend.Close)
	}
	p, err := faultproxy.New(backend.URL)
	if err != nil {
		t.Fatal(err)
	}
	e.proxy = p
	e.front = httptest.NewServer(p)
	t.Cleanup(e.front.Close)
	t.Cleanup(p.Close) // runs before front.Close: releases stalled handlers
	e.host = strings.TrimPrefix(e.front.URL, "http://")
	return e
}

// push writes img to repo:tag directly (bypassing the proxy) and returns
// the reference through the proxy.
func (e *env) push(t testing.TB, repoTag string, img v1.Image) reference.Reference {
	t.Helper()
	direct, err := name.ParseReference(strings.TrimPrefix(e.upstream.URL, "http://")+"/"+repoTag, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(direct, img); err != nil {
		t.Fatal(err)
	}
	return reference.MustParse(e.host + "/" + repoTag)
}

func (e *env) pushIndex(t *testing.T, repoTag string, idx v1.ImageIndex) reference.Reference {
	t.Helper()
	direct, err := name.ParseReference(strings.TrimPrefix(e.upstream.URL, "http://")+"/"+repoTag, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(direct, idx); err != nil {
		t.Fatal(err)
	}
	return reference.MustParse(e.host + "/" + repoTag)
}

func randomImage(t *testing.T) v1.Image {
	t.Helper()
	img, err := random.Image(64<<10, 3)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// fakeClock is a fake clock.Clock that moves only when a test steps it
// (so the watchdogs never fire unless asked) and a Sleep that records
// backoff waits and returns at once.
type fakeClock struct {
	*clock.Fake
	now   time.Time
	mu    sync.Mutex
	waits []time.Duration
}

func newFakeClock() *fakeClock {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	return &fakeClock{Fake: clock.NewFake(now), now: now}
}

func (f *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	f.waits = append(f.waits, d)
	f.mu.Unlock()
	return ctx.Err()
}

func (f *fakeClock) Waits() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.waits...)
}

func testClient(clk *fakeClock, mod ...func(*Options)) *Client {
	o := Options{
		Platform: &v1.Platform{OS: "linux", Architecture: "amd64"},
		Retry:    RetryPolicy{Attempts: 4, Initial: time.Second, Max: 8 * time.Second},
		Sleep:    clk.Sleep,
		Clock:    clk.Fake,
	}
	for _, m := range mod {
		m(&o)
	}
	return New(o)
}

// realTimeouts makes the watchdogs run on the wall clock with short limits
// (backoff waits stay recorded by the fake Sleep).
func realTimeouts(o *Options) {
	o.Clock = clock.Real()
	o.HeaderTimeout = 2 * time.Second
	o.StallTimeout = 300 * time.Millisecond
	o.ProgressWindow = time.Second
	o.MinProgress = 1 << 10
}

// imageBytes is the manifest + config + layers size of img.
func imageBytes(t *testing.T, img v1.Image) int64 {
	t.Helper()
	m, err := img.RawManifest()
	if err != nil {
		t.Fatal(err)
	}
	mf, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	n := int64(len(m)) + mf.Config.Size
	for _, l := range mf.Layers {
		n += l.Size
	}
	return n
}

// assertComplete checks that every blob of img is committed in s.
func assertComplete(t *testing.T, s *memStore, img v1.Image) {
	t.Helper()
	d, _ := img.Digest()
	mf, _ := img.Manifest()
	for _, h := range append([]v1.Hash{d, mf.Config.Digest}, layerDigests(mf)...) {
		if !s.has(h) {
			t.Errorf("blob %s missing from the store", h)
		}
	}
}

func layerDigests(mf *v1.Manifest) []v1.Hash {
	var out []v1.Hash
	for _, l := range mf.Layers {
		out = append(out, l.Digest)
	}
	return out
}

func hasRequest(reqs []faultproxy.Request, method, pathSuffix string) bool {
	for _, r := range reqs {
		if r.Method == method && strings.HasSuffix(r.Path, pathSuffix) {
			return true
		}
	}
	return false
}

func mustRef(t *testing.T, s string) reference.Reference {
	t.Helper()
	r, err := reference.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// multiArch is an index of linux/amd64 and linux/arm64 images plus an
// attestation-like unknown/unknown entry.
func multiArch(t *testing.T) (v1.ImageIndex, []v1.Image) {
	t.Helper()
	var imgs []v1.Image
	var adds []mutate.IndexAddendum
	for _, p := range []v1.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"}, {OS: "unknown", Architecture: "unknown"}} {
		img := randomImage(t)
		imgs = append(imgs, img)
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &p}})
	}
	return mutate.AppendManifests(empty.Index, adds...), imgs
}

func quiet() ggcrreg.Option { return ggcrreg.Logger(log.New(io.Discard, "", 0)) }

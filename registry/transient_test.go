package registry

import (
	"bytes"
	"crypto/rand"
	"io"
	"net/http"
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

// TestTransientFaultsComplete: each fault hits once (or twice) and the
// fetch still completes, waiting what the registry asked for.
func TestTransientFaultsComplete(t *testing.T) {
	t.Parallel()
	clkNow := newFakeClock().now
	fp := func(method, path string, times int, f faultproxy.Fault) faultproxy.Rule {
		return faultproxy.Rule{Method: method, Path: path, Times: times, Fault: f}
	}
	status := func(code int, after string) faultproxy.Fault {
		return faultproxy.Fault{Kind: faultproxy.Status, Code: code, RetryAfter: after}
	}
	cases := []struct {
		name  string
		rule  faultproxy.Rule
		waits []time.Duration // exact waits; nil: check count only
		count int
		stall bool
	}{
		{name: "500 then success", rule: fp("HEAD", manifests, 1, status(500, "")), count: 1},
		{name: "429 Retry-After seconds", rule: fp("HEAD", manifests, 1, status(429, "7")), waits: []time.Duration{7 * time.Second}},
		{name: "429 Retry-After date", rule: fp("HEAD", manifests, 1, status(429, clkNow.Add(9*time.Second).Format(http.TimeFormat))),
			waits: []time.Duration{9 * time.Second}},
		{name: "503 Retry-After on a blob", rule: fp("GET", blobs, 2, status(503, "2")), waits: []time.Duration{2 * time.Second, 2 * time.Second}},
		{name: "408", rule: fp("GET", blobs, 1, status(408, "")), count: 1},
		{name: "ping 502", rule: fp("GET", `^/v2/$`, 1, status(502, "")), count: 1},
		{name: "manifest GET cut", rule: fp("GET", manifests, 1, faultproxy.Fault{Kind: faultproxy.Cut, N: 10}), count: 1},
		{name: "blob cut", rule: fp("GET", blobs, 1, faultproxy.Fault{Kind: faultproxy.Cut, N: 100}), count: 1},
		{name: "blob truncated", rule: fp("GET", blobs, 1, faultproxy.Fault{Kind: faultproxy.Truncate, N: 100}), count: 1},
		{name: "blob corrupt once", rule: fp("GET", blobs, 1, faultproxy.Fault{Kind: faultproxy.Corrupt}), count: 1},
		{name: "blob stall", rule: fp("GET", blobs, 1, faultproxy.Fault{Kind: faultproxy.Stall}), count: 1, stall: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			img := randomImage(t)
			ref := e.push(t, "app/web:v1", img)
			clk := newFakeClock()
			// Manifests: the HEAD, then the GET when the manifest is absent.
			e.proxy.Add(tc.rule)
			st := newMemStore()
			mods := []func(*Options){func(o *Options) { o.Parallel = 1 }}
			if tc.stall {
				mods = append(mods, realTimeouts)
			}
			c := testClient(clk, mods...)
			res, err := c.Fetch(t.Context(), ref, nil, st, nil)
			if err != nil {
				t.Fatal(err)
			}
			assertComplete(t, st, img)
			if res.Downloaded > imageBytes(t, img)*2 {
				t.Errorf("downloaded %d bytes for a %d-byte image", res.Downloaded, imageBytes(t, img))
			}
			got := clk.Waits()
			if tc.waits != nil {
				if len(got) != len(tc.waits) {
					t.Fatalf("waits %v, want %v", got, tc.waits)
				}
				for i := range got {
					if got[i] != tc.waits[i] {
						t.Fatalf("waits %v, want %v", got, tc.waits)
					}
				}
			} else if len(got) != tc.count {
				t.Fatalf("waits %v, want %d", got, tc.count)
			}
			for _, w := range got {
				if tc.waits == nil && (w < 500*time.Millisecond || w > time.Second) {
					t.Errorf("first backoff %v outside [Initial/2, Initial]", w)
				}
			}
		})
	}
}

// bigImage is one 50 MiB layer of random bytes (uncompressed, so the
// transfer size is known).
func bigImage(t *testing.T, size int) (v1.Image, v1.Layer) {
	t.Helper()
	b := make([]byte, size)
	rand.Read(b)
	layer := static.NewLayer(b, types.OCILayer)
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		t.Fatal(err)
	}
	return img, layer
}

func TestResumeAfterTwoCuts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	img, layer := bigImage(t, 50<<20)
	ref := e.push(t, "big/layer:v1", img)
	ld, _ := layer.Digest()
	path := "/blobs/" + ld.String()
	e.proxy.Add(faultproxy.Rule{Method: "GET", Path: path, Times: 1, Fault: faultproxy.Fault{Kind: faultproxy.Cut, N: 15 << 20}})
	e.proxy.Add(faultproxy.Rule{Method: "GET", Path: path, Times: 1, Fault: faultproxy.Fault{Kind: faultproxy.Cut, N: 20 << 20}})
	st := newMemStore()
	var resumed int
	clk := newFakeClock()
	res, err := testClient(clk).Fetch(t.Context(), ref, nil, st, func(p Progress) {
		if p.State == Resuming {
			resumed++
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	assertComplete(t, st, img)
	total := imageBytes(t, img)
	served := e.proxy.ServedTotal()
	t.Logf("image %d bytes, proxy served %d (%.3fx), client counted %d", total, served, float64(served)/float64(total), res.Downloaded)
	if float64(served) > 1.05*float64(total) {
		t.Fatalf("served %d bytes for a %d-byte image", served, total)
	}
	var ranges []string
	for _, r := range e.proxy.Requests() {
		if strings.HasSuffix(r.Path, path) {
			ranges = append(ranges, r.Range)
		}
	}
	if len(ranges) != 3 || ranges[0] != "" || ranges[1] == "" || ranges[2] == "" || resumed != 2 {
		t.Fatalf("blob requests with ranges %q, %d resumes; want a plain GET and two resumes", ranges, resumed)
	}
	if w := clk.Waits(); len(w) != 0 {
		t.Fatalf("waited %v although every cut attempt made progress", w)
	}
	if res.Resumed != 0 {
		t.Fatalf("Resumed = %d: the call continued only from its own bytes", res.Resumed)
	}
}

// TestResumedCountsAnEarlierPartial: the bytes of a partial blob an earlier
// call left are continued with Range, not downloaded again, and reported
// as Resumed (the agent's pullwarden_resumed_bytes_total).
func TestResumedCountsAnEarlierPartial(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	img, layer := bigImage(t, 8<<20)
	ref := e.push(t, "big/partial:v1", img)
	ld, _ := layer.Digest()
	size, _ := layer.Size()
	rc, err := layer.Compressed()
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(rc)
	rc.Close()
	st := newMemStore()
	const kept = 3 << 20
	w, err := st.Writer(t.Context(), v1.Descriptor{Digest: ld, Size: size, MediaType: types.OCILayer})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data[:kept]); err != nil {
		t.Fatal(err)
	}
	w.Close()
	res, err := testClient(newFakeClock()).Fetch(t.Context(), ref, nil, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	assertComplete(t, st, img)
	if res.Resumed != kept {
		t.Fatalf("Resumed = %d, want %d", res.Resumed, kept)
	}
	if served := e.proxy.Served("/v2/big/partial/blobs/" + ld.String()); served != size-kept {
		t.Fatalf("the registry served %d bytes of the blob, want the %d not kept", served, size-kept)
	}
}

// TestCutsWithProgressDoNotBackOff: a cut after progress is followed by a
// reconnection at once and does not count against the attempts (here 6
// cuts with 4 attempts allowed); a cut before any progress backs off.
func TestCutsWithProgressDoNotBackOff(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		n     int64 // bytes sent before each cut
		cuts  int
		waits int
	}{
		{name: "progress", n: 256 << 10, cuts: 6, waits: 0},
		{name: "no progress", n: 100, cuts: 2, waits: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			img, layer := bigImage(t, 2<<20)
			ref := e.push(t, "big/cuts:v1", img)
			ld, _ := layer.Digest()
			e.proxy.Add(faultproxy.Rule{Method: "GET", Path: "/blobs/" + ld.String(), Times: tc.cuts,
				Fault: faultproxy.Fault{Kind: faultproxy.Cut, N: tc.n}})
			clk := newFakeClock()
			st := newMemStore()
			if _, err := testClient(clk).Fetch(t.Context(), ref, nil, st, nil); err != nil {
				t.Fatal(err)
			}
			assertComplete(t, st, img)
			if w := clk.Waits(); len(w) != tc.waits {
				t.Fatalf("waits %v, want %d", w, tc.waits)
			}
		})
	}
}

func TestRegistryIgnoringRange(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	img, layer := bigImage(t, 4<<20)
	ref := e.push(t, "big/norange:v1", img)
	ld, _ := layer.Digest()
	path := "/blobs/" + ld.String()
	e.proxy.Add(faultproxy.Rule{Method: "GET", Path: path, Times: 1, Fault: faultproxy.Fault{Kind: faultproxy.Cut, N: 1 << 20}})
	e.proxy.Add(faultproxy.Rule{Method: "GET", Path: path, Fault: faultproxy.Fault{Kind: faultproxy.StripRange}})
	st := newMemStore()
	if _, err := testClient(newFakeClock()).Fetch(t.Context(), ref, nil, st, nil); err != nil {
		t.Fatal(err)
	}
	want, _ := layer.Uncompressed()
	defer want.Close()
	var buf bytes.Buffer
	buf.ReadFrom(want)
	if !bytes.Equal(st.blob(ld), buf.Bytes()) {
		t.Fatal("stored layer differs from the pushed one")
	}
	reqs := e.proxy.Requests()
	var sawRange bool
	for _, r := range reqs {
		sawRange = sawRange || (strings.HasSuffix(r.Path, path) && r.Range != "" && r.Fault == faultproxy.StripRange)
	}
	if !sawRange {
		t.Fatal("the retry did not ask for a range")
	}
}

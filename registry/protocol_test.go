package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	ggcrreg "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/pullwarden/pullwarden/cause"
	"github.com/pullwarden/pullwarden/internal/faultproxy"
)

// lyingManifest is img's manifest with its first layer's size grown by
// extra bytes: a registry serving it holds fewer bytes than it lists.
func lyingManifest(t *testing.T, img v1.Image, extra int64) (string, v1.Descriptor) {
	t.Helper()
	mf, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	m := *mf
	m.Layers = append([]v1.Descriptor(nil), mf.Layers...)
	m.Layers[0].Size += extra
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), m.Layers[0]
}

// TestBrokenRegistryIsProtocolError: a redirect loop, a malformed header,
// and a blob shorter than the manifest lists (on the first GET and on a
// resume answered 416) are ProtocolError at once, with no retry.
func TestBrokenRegistryIsProtocolError(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		rules   func(e *env, img v1.Image) []faultproxy.Rule
		partial bool // the store holds the real bytes of the lying layer
		msg     string
	}{
		{name: "redirect loop", msg: "redirect loop", rules: func(e *env, _ v1.Image) []faultproxy.Rule {
			return []faultproxy.Rule{{Method: "GET", Path: blobs, Fault: faultproxy.Fault{Kind: faultproxy.Redirect, Target: e.front.URL}}}
		}},
		{name: "malformed Content-Length on the manifest HEAD", msg: "malformed HTTP response",
			rules: func(*env, v1.Image) []faultproxy.Rule {
				return []faultproxy.Rule{{Method: "HEAD", Path: manifests, Fault: faultproxy.Fault{Kind: faultproxy.Raw,
					Body: "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\nContent-Length: 12x\r\n\r\n"}}}
			}},
		{name: "blob shorter than listed", msg: "416"},
		{name: "416 on resume", partial: true, msg: "416"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			img := randomImage(t)
			ref := e.push(t, "app/broken:v1", img)
			st := newMemStore()
			if tc.rules != nil {
				for _, r := range tc.rules(e, img) {
					e.proxy.Add(r)
				}
			}
			if tc.rules == nil {
				body, layer := lyingManifest(t, img, 1000)
				e.proxy.Add(faultproxy.Rule{Path: manifests, Fault: faultproxy.Fault{Kind: faultproxy.Status, Code: 200, Body: body}})
				if tc.partial {
					l, _ := img.LayerByDigest(layer.Digest)
					rc, _ := l.Compressed()
					b, _ := io.ReadAll(rc)
					st.ingests[layer.Digest] = b
				}
			}
			clk := newFakeClock()
			_, err := testClient(clk, func(o *Options) { o.Parallel = 1 }).Fetch(t.Context(), ref, nil, st, nil)
			var ce *cause.Error
			if !errors.As(err, &ce) || ce.Cause != cause.ProtocolError {
				t.Fatalf("err = %v, want ProtocolError", err)
			}
			if !strings.Contains(ce.Message, tc.msg) || !strings.Contains(ce.Message, e.host) {
				t.Fatalf("message %q lacks %q or the host", ce.Message, tc.msg)
			}
			if w := clk.Waits(); len(w) != 0 {
				t.Fatalf("retried what cannot succeed: waits %v", w)
			}
		})
	}
}

// TestManifestHEAD404IsFinal: a HEAD answered 404 is not followed by a GET
// that would hear 404 again.
func TestManifestHEAD404IsFinal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ref := e.push(t, "app/web:v1", randomImage(t))
	_, err := testClient(newFakeClock()).Fetch(t.Context(), mustRef(t, ref.Name()+":nope"), nil, newMemStore(), nil)
	if !errors.Is(err, cause.TagNotFound) {
		t.Fatalf("err = %v, want TagNotFound", err)
	}
	for _, r := range e.proxy.Requests() {
		if r.Method == http.MethodGet && strings.Contains(r.Path, "/manifests/") {
			t.Fatalf("a manifest GET followed the HEAD's 404: %+v", r)
		}
	}
}

// TestContentRangeTotalMismatch: a resume answered with a Content-Range
// whose total is not the manifest's size is ProtocolError, not retried.
func TestContentRangeTotalMismatch(t *testing.T) {
	t.Parallel()
	h := ggcrreg.New(quiet())
	front := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rng := r.Header.Get("Range"); rng != "" && strings.Contains(r.URL.Path, "/blobs/") {
			var a, b int64
			fmt.Sscanf(rng, "bytes=%d-%d", &a, &b)
			w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", a, b, b+100))
			w.WriteHeader(http.StatusPartialContent)
			return
		}
		h.ServeHTTP(w, r)
	})
	e := newEnvWith(t, h, front)
	img := randomImage(t)
	ref := e.push(t, "app/range:v1", img)
	mf, _ := img.Manifest()
	st := newMemStore()
	l, _ := img.LayerByDigest(mf.Layers[0].Digest)
	rc, _ := l.Compressed()
	b, _ := io.ReadAll(rc)
	st.ingests[mf.Layers[0].Digest] = b[:len(b)/2]
	clk := newFakeClock()
	_, err := testClient(clk, func(o *Options) { o.Parallel = 1 }).Fetch(t.Context(), ref, nil, st, nil)
	if !errors.Is(err, cause.ProtocolError) || !strings.Contains(err.Error(), "Content-Range") {
		t.Fatalf("err = %v, want ProtocolError about the Content-Range", err)
	}
	if w := clk.Waits(); len(w) != 0 {
		t.Fatalf("waits %v", w)
	}
}

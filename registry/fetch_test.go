package registry

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/pullwarden/pullwarden/cause"
)

func TestFetchThenPresentUsesOnlyHEAD(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	img := randomImage(t)
	ref := e.push(t, "app/web:v1", img)
	st := newMemStore()
	c := testClient(newFakeClock())

	res, err := c.Fetch(t.Context(), ref, nil, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	dgst, _ := img.Digest()
	if res.RepoDigest != dgst || res.Target.Digest != dgst {
		t.Fatalf("digests: repo %s target %s, want %s", res.RepoDigest, res.Target.Digest, dgst)
	}
	if want := imageBytes(t, img); res.Size != want || res.Downloaded != want {
		t.Fatalf("Size %d Downloaded %d, want %d", res.Size, res.Downloaded, want)
	}
	assertComplete(t, st, img)
	if reqs := e.proxy.Requests(); !hasRequest(reqs, http.MethodHead, "/manifests/v1") {
		t.Fatalf("no manifest HEAD among %v", reqs)
	}

	e.proxy.Reset()
	var states []State
	res, err = c.Fetch(t.Context(), ref, nil, st, func(p Progress) { states = append(states, p.State) })
	if err != nil {
		t.Fatal(err)
	}
	if res.Downloaded != 0 {
		t.Fatalf("second fetch downloaded %d bytes", res.Downloaded)
	}
	for _, r := range e.proxy.Requests() {
		if r.Method == http.MethodGet && r.Path != "/v2/" {
			t.Errorf("second fetch sent %s %s", r.Method, r.Path)
		}
	}
	present := 0
	for _, s := range states {
		if s == Present {
			present++
		}
	}
	if present != 5 { // manifest, config, 3 layers
		t.Fatalf("states %v: want 5 Present", states)
	}
}

func TestFetchByDigest(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	img := randomImage(t)
	ref := e.push(t, "app/pinned:v1", img)
	dgst, _ := img.Digest()
	byDigest := mustRef(t, ref.Name()+"@"+dgst.String())
	st := newMemStore()
	res, err := testClient(newFakeClock()).Fetch(t.Context(), byDigest, nil, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Target.Digest != dgst {
		t.Fatalf("target %s", res.Target.Digest)
	}
	assertComplete(t, st, img)
}

func TestFetchSelectsPlatform(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	idx, imgs := multiArch(t)
	ref := e.pushIndex(t, "multi/app:v1", idx)
	idxDigest, _ := idx.Digest()

	for _, tc := range []struct {
		arch, variant string
		want          int // index in imgs, -1: PlatformNotFound
	}{
		{"amd64", "", 0},
		{"arm64", "", 1},
		{"arm64", "v8", 1},
		{"s390x", "", -1},
	} {
		t.Run(tc.arch+tc.variant, func(t *testing.T) {
			st := newMemStore()
			c := testClient(newFakeClock(), func(o *Options) {
				o.Platform.Architecture, o.Platform.Variant = tc.arch, tc.variant
			})
			res, err := c.Fetch(t.Context(), ref, nil, st, nil)
			if tc.want < 0 {
				if !errors.Is(err, cause.PlatformNotFound) {
					t.Fatalf("err = %v, want PlatformNotFound", err)
				}
				for _, p := range []string{"linux/amd64", "linux/arm64"} {
					if !strings.Contains(err.Error(), p) {
						t.Errorf("message %q does not list %s", err, p)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want, _ := imgs[tc.want].Digest()
			if res.Target.Digest != want || res.RepoDigest != idxDigest {
				t.Fatalf("target %s repo %s; want %s %s", res.Target.Digest, res.RepoDigest, want, idxDigest)
			}
			if res.Target.MediaType != types.OCIManifestSchema1 && res.Target.MediaType != types.DockerManifestSchema2 {
				t.Fatalf("target media type %s", res.Target.MediaType)
			}
			assertComplete(t, st, imgs[tc.want])
			if !st.has(idxDigest) {
				t.Fatal("index not stored")
			}
		})
	}
}

func TestResolveHEADFirst(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	img := randomImage(t)
	ref := e.push(t, "app/resolve:v1", img)
	desc, err := testClient(newFakeClock()).Resolve(t.Context(), ref, nil)
	if err != nil {
		t.Fatal(err)
	}
	dgst, _ := img.Digest()
	if desc.Digest != dgst || desc.Size == 0 || desc.MediaType == "" {
		t.Fatalf("desc %+v", desc)
	}
	for _, r := range e.proxy.Requests() {
		if r.Method == http.MethodGet && strings.Contains(r.Path, "/manifests/") {
			t.Fatalf("Resolve sent a manifest GET although HEAD answered: %+v", r)
		}
	}
}

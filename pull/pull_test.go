package pull

import (
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/pullwarden/pullwarden/cause"
	"github.com/pullwarden/pullwarden/credential"
	"github.com/pullwarden/pullwarden/internal/faultproxy"
	"github.com/pullwarden/pullwarden/internal/testimage"
	"github.com/pullwarden/pullwarden/internal/testregistry"
	"github.com/pullwarden/pullwarden/policy"
	"github.com/pullwarden/pullwarden/registry"
	"github.com/pullwarden/pullwarden/store/ocilayout"
)

func setup(t *testing.T) (*Puller, *faultproxy.Proxy, string) {
	t.Helper()
	reg := testregistry.StartInProcess(t)
	p, err := faultproxy.New(reg.URL)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	testimage.Push(t, testimage.Random(t, 3, 64<<10), reg.Ref("a/b:1"), nil)
	s, err := ocilayout.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return New(s, registry.New(registry.Options{})), p, host + "/a/b:1"
}

func blobGETs(p *faultproxy.Proxy) int {
	n := 0
	for _, r := range p.Requests() {
		if r.Method == "GET" && strings.Contains(r.Path, "/blobs/") {
			n++
		}
	}
	return n
}

func TestConcurrentPullsShareOneTransfer(t *testing.T) {
	t.Parallel()
	pl, proxy, image := setup(t)
	var wg sync.WaitGroup
	results := make([]Result, 8)
	errs := make([]error, 8)
	for i := range results {
		wg.Go(func() {
			results[i], errs[i] = pl.Pull(t.Context(), Request{Image: image, Policy: policy.Always})
		})
	}
	wg.Wait()
	var downloaded int64
	for i, err := range errs {
		if err != nil {
			t.Fatalf("pull %d: %v", i, err)
		}
		if results[i].RepoDigest != results[0].RepoDigest {
			t.Fatalf("pulls disagree on the digest")
		}
		downloaded += results[i].Downloaded
	}
	// 3 layers + config: each fetched once at most, whatever the overlap.
	if n := blobGETs(proxy); n > 4 {
		t.Fatalf("%d blob GETs for 8 concurrent pulls of a 4-blob image", n)
	}
	if downloaded > results[0].Size {
		t.Fatalf("downloaded %d bytes in all for a %d-byte image", downloaded, results[0].Size)
	}
}

type staticRing []credential.Credential

func (s staticRing) Lookup(string) []credential.Credential { return s }

func TestPolicyAndPresence(t *testing.T) {
	t.Parallel()
	pl, proxy, image := setup(t)
	if _, err := pl.Pull(t.Context(), Request{Image: image, Policy: policy.Never}); !errors.Is(err, cause.ErrImageNeverPull) {
		t.Fatalf("Never, absent: %v", err)
	}
	if len(proxy.Requests()) != 0 {
		t.Fatal("Never asked the registry")
	}
	r, err := pl.Pull(t.Context(), Request{Image: image, Policy: policy.IfNotPresent})
	if err != nil || !r.Pulled || r.Size == 0 {
		t.Fatalf("IfNotPresent, absent: %+v %v", r, err)
	}
	proxy.Reset()
	r, err = pl.Pull(t.Context(), Request{Image: image})
	if err != nil || r.Pulled || r.Policy != policy.IfNotPresent || r.Size == 0 {
		t.Fatalf("default policy for a tag other than latest, present: %+v %v", r, err)
	}
	if len(proxy.Requests()) != 0 {
		t.Fatal("IfNotPresent with the image present asked the registry")
	}
	r, err = pl.Pull(t.Context(), Request{Image: image, Policy: policy.Never})
	if err != nil || r.Pulled {
		t.Fatalf("Never, present: %+v %v", r, err)
	}
}

// TestNoAnonymousAfterRefusal: when credentials matched and were refused,
// no anonymous attempt follows (the in-process registry would have served
// the image anonymously).
func TestNoAnonymousAfterRefusal(t *testing.T) {
	t.Parallel()
	reg := testregistry.StartInProcess(t, testregistry.WithMiddleware(basicOnly("u", "right")))
	testimage.Push(t, testimage.Random(t, 1, 100), reg.Ref("a/b:1"), &authn.Basic{Username: "u", Password: "right"})
	s, err := ocilayout.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	pl := New(s, registry.New(registry.Options{}))
	wrong := credential.Credential{Source: "secret ns/wrong"}
	wrong.Username, wrong.Password = "u", "wrong"
	_, err = pl.Pull(t.Context(), Request{Image: reg.Ref("a/b:1"), Keyring: staticRing{wrong}})
	if !errors.Is(err, cause.Unauthorized) || !strings.Contains(err.Error(), "secret ns/wrong") {
		t.Fatalf("refused credential: %v", err)
	}
	right := credential.Credential{Source: "secret ns/right"}
	right.Username, right.Password = "u", "right"
	r, err := pl.Pull(t.Context(), Request{Image: reg.Ref("a/b:1"), Keyring: staticRing{wrong, right}})
	if err != nil || r.Credential != "secret ns/right" {
		t.Fatalf("second credential: %+v %v", r, err)
	}
}

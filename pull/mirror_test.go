package pull

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pullwarden/pullwarden/hosts"
	"github.com/pullwarden/pullwarden/internal/testimage"
	"github.com/pullwarden/pullwarden/internal/testregistry"
	"github.com/pullwarden/pullwarden/reference"
	"github.com/pullwarden/pullwarden/registry"
	"github.com/pullwarden/pullwarden/store/ocilayout"
)

// TestMirrorsInOrder: with containerd's hosts.toml naming a mirror, an
// image the mirror has is served by it (and named as the pod wrote it), an
// image it lacks comes from the registry, and a dead mirror is skipped.
func TestMirrorsInOrder(t *testing.T) {
	t.Parallel()
	upstream := testregistry.StartInProcess(t)
	mirror := testregistry.StartInProcess(t)
	root := t.TempDir()
	dir := filepath.Join(root, upstream.Host)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	toml := fmt.Sprintf("server = %q\n\n[host.%q]\n  capabilities = [\"pull\", \"resolve\"]\n", "http://"+upstream.Host, "http://"+mirror.Host)
	if err := os.WriteFile(filepath.Join(dir, "hosts.toml"), []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	testimage.Push(t, testimage.Random(t, 1, 1024), mirror.Ref("a/b:1"), nil)
	testimage.Push(t, testimage.Random(t, 1, 1024), upstream.Ref("a/c:1"), nil)
	s, err := ocilayout.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	pl := New(s, registry.New(registry.Options{Retry: registry.RetryPolicy{Attempts: 1}}), WithMirrors(root, nil))

	res, err := pl.Ensure(t.Context(), EnsureRequest{Image: upstream.Ref("a/b:1")})
	if err != nil || res.Mirror != mirror.Host {
		t.Fatalf("image on the mirror: %v, served by %q, want %q", err, res.Mirror, mirror.Host)
	}
	if _, ok, err := pl.Present(t.Context(), mustParse(t, upstream.Ref("a/b:1"))); !ok || err != nil {
		t.Fatalf("not stored under the pod's name: %v", err)
	}
	res, err = pl.Ensure(t.Context(), EnsureRequest{Image: upstream.Ref("a/c:1")})
	if err != nil || res.Mirror != "" {
		t.Fatalf("image only upstream: %v, served by %q", err, res.Mirror)
	}
	mirror.Stop()
	testimage.Push(t, testimage.Random(t, 1, 1024), upstream.Ref("a/d:1"), nil)
	if res, err = pl.Ensure(t.Context(), EnsureRequest{Image: upstream.Ref("a/d:1")}); err != nil || res.Mirror != "" {
		t.Fatalf("dead mirror: %v, served by %q", err, res.Mirror)
	}
	if st := pl.health.Order(mustEndpoints(t, root, upstream.Host), hosts.Pull|hosts.Resolve); !strings.Contains(st[0].Host, upstream.Host) {
		t.Fatalf("dead mirror still tried first: %v", st)
	}
}

func mustParse(t *testing.T, s string) reference.Reference {
	t.Helper()
	r, err := reference.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func mustEndpoints(t *testing.T, root, host string) []hosts.Endpoint {
	t.Helper()
	eps, err := hosts.Endpoints(root, host)
	if err != nil {
		t.Fatal(err)
	}
	return eps
}

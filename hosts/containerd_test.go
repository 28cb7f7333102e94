package hosts_test

import (
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"

	ctrdocker "github.com/containerd/containerd/v2/core/remotes/docker"
	ctrconfig "github.com/containerd/containerd/v2/core/remotes/docker/config"

	"github.com/pullwarden/pullwarden/hosts"
)

// view is what both implementations decide about an endpoint.
type view struct {
	URL    string
	Caps   hosts.Capability
	Header http.Header
}

func ours(t testing.TB, root, host string) ([]view, error) {
	eps, err := hosts.Endpoints(root, host)
	if err != nil {
		return nil, err
	}
	var out []view
	for _, e := range eps {
		out = append(out, view{URL: e.Scheme + "://" + e.Host + e.Path, Caps: e.Capabilities, Header: norm(e.Header)})
	}
	return out, nil
}

// theirs asks containerd's own config package (the code the CRI runs for
// config_path) for the hosts of registry host.
func theirs(t testing.TB, root, host string) ([]view, error) {
	rh, err := ctrconfig.ConfigureHosts(t.Context(), ctrconfig.HostOptions{HostDir: ctrconfig.HostDirFromRoot(root)})(host)
	if err != nil {
		return nil, err
	}
	var out []view
	for _, h := range rh {
		out = append(out, view{URL: h.Scheme + "://" + h.Host + h.Path, Caps: hosts.Capability(h.Capabilities), Header: norm(h.Header)})
	}
	return out, nil
}

// norm canonicalizes header keys (containerd keeps them as written).
func norm(h http.Header) http.Header {
	if len(h) == 0 {
		return nil
	}
	out := http.Header{}
	for k, v := range h {
		if len(v) == 0 {
			continue // an empty list sends nothing
		}
		out[http.CanonicalHeaderKey(k)] = append(out[http.CanonicalHeaderKey(k)], v...)
	}
	for _, v := range out {
		sort.Strings(v)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

var _ = ctrdocker.HostCapabilityPull // the bit values hosts.Capability mirrors

// The endpoints, their order, capabilities and headers are what
// containerd decides for the same config_path directory.
func TestEndpointsMatchContainerd(t *testing.T) {
	t.Parallel()
	root := filepath.Join("testdata", "root")
	empty := t.TempDir()
	for _, c := range []struct{ root, host string }{
		{root, "docker.io"}, {root, "127.0.0.1:5000"}, {root, "quirks.example"},
		{root, "override.example"}, {root, "empty.example"}, {root, "tlshttp.example:8080"},
		{root, "elsewhere.example"}, {root, "localhost:5000"},
		{empty, "docker.io"}, {empty, "localhost:5000"}, {empty, "localhost"}, {empty, "127.0.0.1:443"},
		{empty, "[::1]:5000"}, {empty, "127.0.0.1:80"}, {empty, "r.example:5000"}, {"", "quay.io"},
	} {
		got, err := ours(t, c.root, c.host)
		if err != nil {
			t.Errorf("%s in %q: %v", c.host, c.root, err)
			continue
		}
		want, err := theirs(t, c.root, c.host)
		if c.root == "" {
			want, err = theirs(t, empty, c.host)
		}
		if err != nil {
			t.Fatalf("containerd: %s: %v", c.host, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s in %q:\n got  %+v\n want %+v (containerd)", c.host, c.root, got, want)
		}
	}
}

// FuzzParse compares the parser with containerd's on arbitrary files: a
// file either side rejects is rejected by the other (containerd then
// falls back to the registry itself), and an accepted file gives the same
// endpoints. Files naming certificates are only parsed (containerd reads
// the certificate files).
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "root", "*", "hosts.toml"))
	for _, s := range seeds {
		b, _ := os.ReadFile(s)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		root := t.TempDir()
		dir := filepath.Join(root, "registry.example")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "hosts.toml"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		eps, perr := hosts.Parse(filepath.Join(dir, "hosts.toml"), data)
		for _, e := range eps {
			if len(e.CA) > 0 || len(e.Client) > 0 {
				return
			}
		}
		got, err := ours(t, root, "registry.example")
		if perr == nil && err != nil {
			t.Fatalf("Parse accepted what Endpoints rejected: %v", err)
		}
		want, cerr := theirs(t, root, "registry.example")
		if cerr != nil {
			return // containerd could not build a client (e.g. an unreadable file)
		}
		if err != nil {
			def := []view{{URL: "https://registry.example/v2", Caps: hosts.All}}
			if !reflect.DeepEqual(want, def) && len(data) > 0 {
				t.Fatalf("rejected (%v) a file containerd uses: %+v", err, want)
			}
			return
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("got  %+v\nwant %+v (containerd)", got, want)
		}
	})
}

package credential

import (
	"reflect"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
)

func TestKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		server, want string
	}{
		{"https://index.docker.io/v1/", "index.docker.io"},
		{"index.docker.io/v1/", "index.docker.io"},
		{"index.docker.io", "index.docker.io"},
		{"http://reg:5000/v2/", "reg:5000"},
		{"reg:5000/v2/team", "reg:5000/team"},
		{"quay.io/coreos", "quay.io/coreos"},
		{"quay.io/coreos/", "quay.io/coreos/"},
		{"https://reg.example.com/", "reg.example.com"},
		{"reg.example.com/v1", "reg.example.com/v1"},          // no trailing slash: not the /v1/ prefix
		{"reg.example.com/v1/x/v2/", "reg.example.com/x/v2/"}, // only a leading /v1/ goes
		{"reg.example.com/v3/x", "reg.example.com/v3/x"},
		{"[::1]:5000", "[::1]:5000"},
		{"*.example.com", "*.example.com"},
		{"https://user@reg.example.com", "reg.example.com"},
	} {
		got, err := Key(tc.server)
		if err != nil || got != tc.want {
			t.Errorf("Key(%q) = %q, %v; want %q", tc.server, got, err, tc.want)
		}
	}
	for _, bad := range []string{"reg:port", "http://[::1", "reg.example.com:5000x/a"} {
		if k, err := Key(bad); err == nil {
			t.Errorf("Key(%q) = %q, want an error", bad, k)
		}
	}
}

func TestMatches(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		key, image string
		want       bool
	}{
		{"reg.example.com", "reg.example.com/a", true},
		{"reg.example.com", "reg.example.com/a/b/c", true},
		{"reg.example.com", "other.example.com/a", false},
		// Host labels: same count, each a glob.
		{"*.example.com", "a.example.com/x", true},
		{"*.example.com", "example.com/x", false},
		{"*.example.com", "a.b.example.com/x", false},
		{"reg.*.com", "reg.x.com/a", true},
		{"r?g.example.com", "reg.example.com/a", false}, // "?" starts a URL query, as in the kubelet
		{"*", "localhost/app", true},
		{"*", "reg.example.com/app", false},
		{"re[g.example.com", "reg.example.com/a", false}, // bad pattern matches nothing
		{"Reg.example.com", "reg.example.com/a", false},  // case-sensitive, as in the kubelet
		// Ports must be equal.
		{"reg.example.com:5000", "reg.example.com:5000/x", true},
		{"reg.example.com:5000", "reg.example.com/x", false},
		{"reg.example.com", "reg.example.com:5000/x", false},
		{"*", "localhost:5000/app", false},
		{"localhost:5000", "localhost:5000/app", true},
		{"[::1]:5000", "[::1]:5000/app", true},
		// The path is a plain string prefix.
		{"reg/foo", "reg/foobar", true},
		{"reg/foo", "reg/foo/bar", true},
		{"reg/foo/", "reg/foobar", false},
		{"quay.io/coreos", "quay.io/coreos/etcd", true},
		{"quay.io/coreos", "quay.io/other", false},
		{"quay.io/coreos/etcd", "quay.io/coreos", false},
		// Docker Hub: docker.io matches directly, index.docker.io only
		// through Lookup's fallback.
		{"docker.io", "docker.io/library/nginx", true},
		{"index.docker.io", "docker.io/library/nginx", false},
		{"docker.io/library", "docker.io/library/nginx", true},
		{"docker.io/library", "docker.io/user/app", false},
	} {
		if got := Matches(tc.key, tc.image); got != tc.want {
			t.Errorf("Matches(%q, %q) = %v, want %v", tc.key, tc.image, got, tc.want)
		}
	}
}

func TestIsDockerHub(t *testing.T) {
	t.Parallel()
	for image, want := range map[string]bool{
		"docker.io/library/nginx":       true,
		"index.docker.io/library/nginx": true,
		"library/nginx":                 true,
		"nginx":                         true,
		"quay.io/coreos/etcd":           false,
		"localhost:5000/app":            false,
		"":                              false,
		"/x":                            false,
	} {
		if got := isDockerHub(image); got != want {
			t.Errorf("isDockerHub(%q) = %v, want %v", image, got, want)
		}
	}
}

// testRing builds a keyring from (server, source) pairs.
func testRing(t *testing.T, pairs ...string) Keyring {
	t.Helper()
	r := &ring{}
	for i := 0; i < len(pairs); i += 2 {
		if err := r.add(pairs[i], Credential{Source: pairs[i+1], AuthConfig: authn.AuthConfig{Username: pairs[i+1]}}); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

func sources(cs []Credential) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.Source)
	}
	return out
}

func TestLookup(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		ring  []string
		image string
		want  []string
	}{
		{"most specific first",
			[]string{"quay.io", "host", "quay.io/coreos", "org", "https://quay.io/v2/coreos/etcd", "repo"},
			"quay.io/coreos/etcd", []string{"repo", "org", "host"}},
		{"same key keeps insertion order",
			[]string{"reg.example.com", "first", "https://reg.example.com/v2/", "second", "reg.example.com/", "third"},
			"reg.example.com/app", []string{"first", "second", "third"}},
		{"glob and exact keys sort by string",
			[]string{"*.example.com", "glob", "a.example.com", "exact"},
			"a.example.com/app", []string{"exact", "glob"}}, // "a" sorts after "*"
		{"hub fallback from https://index.docker.io/v1/",
			[]string{"https://index.docker.io/v1/", "hub"},
			"docker.io/library/nginx", []string{"hub"}},
		{"hub fallback from index.docker.io",
			[]string{"index.docker.io", "hub"},
			"docker.io/user/app", []string{"hub"}},
		{"hub fallback only when nothing matched",
			[]string{"https://index.docker.io/v1/", "hub", "docker.io", "docker"},
			"docker.io/library/nginx", []string{"docker"}},
		{"no hub fallback for other registries",
			[]string{"https://index.docker.io/v1/", "hub"},
			"quay.io/coreos/etcd", []string{}},
		{"index.docker.io with a path gets no fallback",
			[]string{"index.docker.io/library", "hubpath"},
			"docker.io/library/nginx", []string{}},
		{"index.docker.io images match index.docker.io keys directly",
			[]string{"index.docker.io", "hub"},
			"index.docker.io/library/nginx", []string{"hub"}},
		{"plain prefix surprise",
			[]string{"reg.example.com/foo", "foo"},
			"reg.example.com/foobar", []string{"foo"}},
		{"port mismatch",
			[]string{"localhost", "noport"},
			"localhost:5000/app", []string{}},
		{"empty ring", nil, "docker.io/library/nginx", []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := sources(testRing(t, tc.ring...).Lookup(tc.image))
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Lookup(%q) = %q, want %q", tc.image, got, tc.want)
			}
		})
	}
}

func TestLookupSetsServerToMatchedKey(t *testing.T) {
	t.Parallel()
	got := testRing(t, "https://index.docker.io/v1/", "hub", "https://quay.io/v2/coreos", "q").Lookup("quay.io/coreos/etcd")
	if len(got) != 1 || got[0].Server != "quay.io/coreos" || got[0].Username != "q" {
		t.Fatalf("got %#v", got)
	}
	hub := testRing(t, "https://index.docker.io/v1/", "hub").Lookup("docker.io/library/nginx")
	if len(hub) != 1 || hub[0].Server != "index.docker.io" {
		t.Fatalf("got %#v", hub)
	}
}

func TestUnionKeepsOrder(t *testing.T) {
	t.Parallel()
	pod := testRing(t, "reg.example.com", "pod-host")
	node := testRing(t, "reg.example.com/app", "node-repo", "reg.example.com", "node-host")
	got := sources(Union(pod, nil, node).Lookup("reg.example.com/app"))
	want := []string{"pod-host", "node-repo", "node-host"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Union lookup = %q, want %q", got, want)
	}
	if got := Union().Lookup("reg.example.com/app"); len(got) != 0 {
		t.Fatalf("empty union returned %v", got)
	}
}

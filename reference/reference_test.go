package reference

import (
	"errors"
	"strings"
	"testing"

	"github.com/pullwarden/pullwarden/cause"
)

const dig = "sha256:0000000000000000000000000000000000000000000000000000000000000001"

func TestParseNormalises(t *testing.T) {
	for _, tc := range []struct {
		in, want, registry, repo, tag, digest string
		implied                               bool
	}{
		{"nginx", "docker.io/library/nginx:latest", "docker.io", "library/nginx", "latest", "", true},
		{"nginx:1.27", "docker.io/library/nginx:1.27", "docker.io", "library/nginx", "1.27", "", false},
		{"nginx:latest", "docker.io/library/nginx:latest", "docker.io", "library/nginx", "latest", "", false},
		{"user/app", "docker.io/user/app:latest", "docker.io", "user/app", "latest", "", true},
		{"docker.io/nginx", "docker.io/library/nginx:latest", "docker.io", "library/nginx", "latest", "", true},
		{"index.docker.io/library/nginx", "docker.io/library/nginx:latest", "docker.io", "library/nginx", "latest", "", true},
		{"localhost/app", "localhost/app:latest", "localhost", "app", "latest", "", true},
		{"localhost:5000/app:v1", "localhost:5000/app:v1", "localhost:5000", "app", "v1", "", false},
		{"127.0.0.1:5000/a/b/c:V_1.0-rc", "127.0.0.1:5000/a/b/c:V_1.0-rc", "127.0.0.1:5000", "a/b/c", "V_1.0-rc", "", false},
		{"Quay.IO/coreos/etcd", "Quay.IO/coreos/etcd:latest", "Quay.IO", "coreos/etcd", "latest", "", true},
		{"nginx@" + dig, "docker.io/library/nginx@" + dig, "docker.io", "library/nginx", "", dig, false},
		{"nginx:1.27@" + dig, "docker.io/library/nginx:1.27@" + dig, "docker.io", "library/nginx", "1.27", dig, false},
		{"[::1]:5000/app", "[::1]:5000/app:latest", "[::1]:5000", "app", "latest", "", true},
		{"registry:5000/app", "registry:5000/app:latest", "registry:5000", "app", "latest", "", true},
		{"foo_bar/x", "docker.io/foo_bar/x:latest", "docker.io", "foo_bar/x", "latest", "", true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			r, err := Parse(tc.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.in, err)
			}
			if r.String() != tc.want || r.Registry() != tc.registry || r.Repository() != tc.repo ||
				r.Tag() != tc.tag || r.Digest() != tc.digest || r.TagImplied() != tc.implied {
				t.Fatalf("Parse(%q) = %s reg=%s repo=%s tag=%s digest=%s implied=%v",
					tc.in, r, r.Registry(), r.Repository(), r.Tag(), r.Digest(), r.TagImplied())
			}
			if r.Raw() != tc.in {
				t.Fatalf("Raw = %q", r.Raw())
			}
			// Normalisation is idempotent.
			again, err := Parse(r.String())
			if err != nil || again.String() != r.String() {
				t.Fatalf("reparse of %q: %v %v", r.String(), again, err)
			}
		})
	}
}

func TestLocatorPrefersDigest(t *testing.T) {
	if got := MustParse("nginx:1@" + dig).Locator(); got != dig {
		t.Fatalf("Locator = %q", got)
	}
	if got := MustParse("nginx").Locator(); got != "latest" {
		t.Fatalf("Locator = %q", got)
	}
	if got := MustParse("docker.io/library/nginx:1").Familiar(); got != "nginx:1" {
		t.Fatalf("Familiar = %q", got)
	}
}

func TestParseRejects(t *testing.T) {
	for _, tc := range []struct{ in, mention string }{
		{"", "empty"},
		{" nginx", "white space"},
		{"Nginx", "lowercase"},
		{"docker.io/Library/nginx", "(Library/nginx) must be lowercase"},
		{"nginx:", "tag"},
		{"nginx:-bad", "tag"},
		{"nginx:" + strings.Repeat("a", 129), "tag"},
		{"nginx@sha256:abc", "64"},
		{"nginx@sha256", "algorithm:hex"},
		{"nginx@", "algorithm:hex"},
		{"a//b", "empty"},
		{"/nginx", "empty"},
		{"nginx/", "empty"},
		{"ngi nx", "character"},
		{"nginx:tag:tag", "tag"},
		{"a..b/c", "character"},
		{"a/b:c/d", "character"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			_, err := Parse(tc.in)
			if err == nil {
				t.Fatalf("Parse(%q) succeeded", tc.in)
			}
			if !errors.Is(err, cause.InvalidImageName) {
				t.Fatalf("cause = %v", cause.Of(err))
			}
			if !strings.Contains(err.Error(), tc.mention) {
				t.Fatalf("message %q does not mention %q", err.Error(), tc.mention)
			}
			if !strings.Contains(err.Error(), `couldn't parse image name "`) {
				t.Fatalf("message %q lacks the kubelet's prefix", err.Error())
			}
		})
	}
}

package registry

import (
	"fmt"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/pullwarden/pullwarden/cause"
)

// selectPlatform picks the manifest for want from an index: the first entry
// whose platform satisfies want (an empty variant or OS version in want
// matches any; arm64's variant "" and "v8" are the same). None matching is
// cause.PlatformNotFound listing what the index offers.
func (s *session) selectPlatform(idx *v1.IndexManifest, want v1.Platform, what string) (v1.Descriptor, error) {
	var offered []string
	for _, d := range idx.Manifests {
		if d.Platform == nil {
			continue
		}
		if platformMatches(*d.Platform, want) && isManifest(d.MediaType) {
			return d, nil
		}
		if d.Platform.OS != "unknown" && d.Platform.Architecture != "unknown" { // attestations
			offered = append(offered, platformString(*d.Platform))
		}
	}
	sort.Strings(offered)
	if len(offered) == 0 {
		offered = []string{"none"}
	}
	return v1.Descriptor{}, cause.New(cause.PlatformNotFound,
		"%s of repository %q on registry %s has no image for platform %s; it has: %s",
		what, s.repo, s.t.host, platformString(want), strings.Join(offered, ", "))
}

func platformMatches(have, want v1.Platform) bool {
	if have.Architecture == "arm64" && have.Variant == "" {
		have.Variant = "v8"
	}
	if want.Architecture == "arm64" && want.Variant == "v8" && have.Variant == "" {
		want.Variant = ""
	}
	return have.OS == want.OS && have.Architecture == want.Architecture &&
		(want.Variant == "" || want.Variant == have.Variant) &&
		(want.OSVersion == "" || want.OSVersion == have.OSVersion)
}

func platformString(p v1.Platform) string {
	s := fmt.Sprintf("%s/%s", p.OS, p.Architecture)
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

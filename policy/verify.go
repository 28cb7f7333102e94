package policy

import (
	"fmt"
	"strings"

	"github.com/distribution/reference"
)

// Verification is the kubelet's imagePullCredentialsVerificationPolicy
// (KEP-2535): when a pod may use an image already on the node without
// proving, by a pull, that its credentials give access to it.
type Verification string

// The verification policies, spelled as in the kubelet's configuration.
const (
	// NeverVerify: any pod may use any present image.
	NeverVerify Verification = "NeverVerify"
	// NeverVerifyPreloadedImages (the kubelet's default since 1.35): images
	// the node did not pull itself (preloaded) are usable by any pod; an
	// image the node pulled is usable by a pod whose credentials pulled it,
	// or by every pod when it was pulled without pod credentials.
	NeverVerifyPreloadedImages Verification = "NeverVerifyPreloadedImages"
	// NeverVerifyAllowlistedImages: like AlwaysVerify except for the images
	// on the allowlist (preloadedImagesVerificationAllowlist).
	NeverVerifyAllowlistedImages Verification = "NeverVerifyAllowlistedImages"
	// AlwaysVerify: every pod must prove its access to every image.
	AlwaysVerify Verification = "AlwaysVerify"
)

// Verifications lists the valid values, for flags and completion.
var Verifications = []Verification{NeverVerify, NeverVerifyPreloadedImages, NeverVerifyAllowlistedImages, AlwaysVerify}

// Verifier applies a Verification. Build it with NewVerifier.
type Verifier struct {
	policy   Verification
	exact    map[string]bool
	prefixes []string
}

// NewVerifier checks p (empty: NeverVerifyPreloadedImages) and the
// allowlist of NeverVerifyAllowlistedImages by the kubelet's rules: an
// entry is a repository name without tag or digest, fully qualified
// ("docker.io/library/nginx"), or a prefix ending in "/*" with at least a
// registry host ("registry.example.com/team/*"); no other "*", no leading
// or trailing spaces.
func NewVerifier(p Verification, allowlist []string) (*Verifier, error) {
	if p == "" {
		p = NeverVerifyPreloadedImages
	}
	switch p {
	case NeverVerify, NeverVerifyPreloadedImages, NeverVerifyAllowlistedImages, AlwaysVerify:
	default:
		return nil, fmt.Errorf("unknown image pull credentials verification policy %q: supported values: %q, %q, %q, %q",
			p, NeverVerify, NeverVerifyPreloadedImages, NeverVerifyAllowlistedImages, AlwaysVerify)
	}
	v := &Verifier{policy: p, exact: map[string]bool{}}
	for _, pattern := range allowlist {
		norm, wildcard, err := allowlistPattern(pattern)
		if err != nil {
			return nil, fmt.Errorf("preloaded images verification allowlist: %w", err)
		}
		if wildcard {
			v.prefixes = append(v.prefixes, norm)
		} else {
			v.exact[norm] = true
		}
	}
	return v, nil
}

// Policy returns the verifier's policy.
func (v *Verifier) Policy() Verification { return v.policy }

// Require reports whether a pod must prove its access to the present image
// whose repository is repo ("docker.io/library/nginx"); pulledByNode says
// the node pulled it (a pull record or an unfinished pull exists).
func (v *Verifier) Require(repo string, pulledByNode bool) bool {
	switch v.policy {
	case NeverVerify:
		return false
	case NeverVerifyPreloadedImages:
		return pulledByNode
	case NeverVerifyAllowlistedImages:
		return !v.allowed(repo)
	}
	return true
}

func (v *Verifier) allowed(repo string) bool {
	if v.exact[repo] {
		return true
	}
	for _, p := range v.prefixes {
		if strings.HasPrefix(repo, p) {
			return true
		}
	}
	return false
}

func allowlistPattern(pattern string) (string, bool, error) {
	if pattern != strings.TrimSpace(pattern) {
		return "", false, fmt.Errorf("%q: leading or trailing spaces are not allowed", pattern)
	}
	trimmed, wildcard := pattern, false
	if strings.HasSuffix(pattern, "/*") {
		wildcard, trimmed = true, strings.TrimSuffix(pattern, "*")
	}
	if trimmed == "" {
		return "", false, fmt.Errorf("%q: the pattern is too short", pattern)
	}
	if strings.Contains(trimmed, "*") {
		return "", false, fmt.Errorf("%q: only patterns ending with \"/*\" may hold a wildcard", pattern)
	}
	if wildcard {
		if len(trimmed) == 1 {
			return "", false, fmt.Errorf("%q: at least a registry host is required", pattern)
		}
		return trimmed, true, nil
	}
	named, err := reference.ParseNormalizedNamed(trimmed)
	if err != nil {
		return "", false, fmt.Errorf("%q is not an image name: %v", pattern, err)
	}
	if named.Name() != trimmed {
		return "", false, fmt.Errorf("%q: write the repository fully qualified (%q), without tag or digest", pattern, named.Name())
	}
	return trimmed, false, nil
}

package policy

import "testing"

func TestVerifierRules(t *testing.T) {
	for _, tc := range []struct {
		policy       Verification
		allow        []string
		repo         string
		pulledByNode bool
		want         bool
	}{
		{NeverVerify, nil, "docker.io/library/nginx", true, false},
		{"", nil, "docker.io/library/nginx", true, true}, // default: NeverVerifyPreloadedImages
		{NeverVerifyPreloadedImages, nil, "docker.io/library/nginx", false, false},
		{AlwaysVerify, nil, "docker.io/library/nginx", false, true},
		{NeverVerifyAllowlistedImages, []string{"docker.io/library/nginx"}, "docker.io/library/nginx", true, false},
		{NeverVerifyAllowlistedImages, []string{"docker.io/library/nginx"}, "docker.io/library/nginx-x", true, true},
		{NeverVerifyAllowlistedImages, []string{"reg.example.com/team/*"}, "reg.example.com/team/app", true, false},
		{NeverVerifyAllowlistedImages, []string{"reg.example.com/team/*"}, "reg.example.com/other/app", false, true},
	} {
		v, err := NewVerifier(tc.policy, tc.allow)
		if err != nil {
			t.Fatal(err)
		}
		if got := v.Require(tc.repo, tc.pulledByNode); got != tc.want {
			t.Errorf("%s %v: Require(%s, %v) = %v, want %v", tc.policy, tc.allow, tc.repo, tc.pulledByNode, got, tc.want)
		}
	}
}

func TestVerifierRejectsBadInput(t *testing.T) {
	for _, tc := range []struct {
		policy Verification
		allow  []string
	}{
		{"Sometimes", nil},
		{NeverVerifyAllowlistedImages, []string{"nginx"}},                     // not fully qualified
		{NeverVerifyAllowlistedImages, []string{"docker.io/library/nginx:1"}}, // a tag
		{NeverVerifyAllowlistedImages, []string{" reg.example.com/a"}},        // spaces
		{NeverVerifyAllowlistedImages, []string{"reg.example.com/*/app"}},     // inner wildcard
		{NeverVerifyAllowlistedImages, []string{"/*"}},                        // no host
	} {
		if _, err := NewVerifier(tc.policy, tc.allow); err == nil {
			t.Errorf("NewVerifier(%q, %q) accepted", tc.policy, tc.allow)
		}
	}
}

package reference

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	dref "github.com/distribution/reference"

	"github.com/pullwarden/pullwarden/cause"
)

// Parse parses and normalises an image reference. Failures are
// *cause.Error with cause.InvalidImageName.
func Parse(s string) (Reference, error) {
	named, err := dref.ParseNormalizedNamed(s)
	if err != nil {
		return Reference{}, invalid(s, err)
	}
	r := Reference{raw: s, named: named}
	if t, ok := named.(dref.Tagged); ok {
		r.tag = t.Tag()
	}
	if d, ok := named.(dref.Digested); ok {
		r.dig = d.Digest().String()
	}
	if r.tag == "" && r.dig == "" {
		r.tag = DefaultTag
	}
	return r, nil
}

// MustParse is Parse for references known to be valid (tests, constants).
func MustParse(s string) Reference {
	r, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return r
}

var (
	tagRE    = regexp.MustCompile(`^[\w][\w.-]{0,127}$`)
	digestRE = regexp.MustCompile(`^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$`)
)

// invalid builds the InvalidImageName error, naming the part that is wrong.
func invalid(s string, err error) error {
	detail := diagnose(s, err)
	return cause.Wrap(cause.InvalidImageName, err,
		"couldn't parse image name %q: %s", s, detail)
}

// diagnose explains err in terms of the part of s that is wrong.
func diagnose(s string, err error) string {
	switch {
	case s == "":
		return "the image name is empty"
	case strings.TrimSpace(s) != s:
		return "the image name has leading or trailing white space"
	case strings.Contains(err.Error(), dref.ErrNameContainsUppercase.Error()),
		errors.Is(err, dref.ErrNameTooLong):
		return err.Error()
	}
	rest, dig, hasDigest := strings.Cut(s, "@")
	if hasDigest {
		if !digestRE.MatchString(dig) {
			return fmt.Sprintf("digest %q is not algorithm:hex", dig)
		}
		if algo, hex, _ := strings.Cut(dig, ":"); algo == "sha256" && !regexp.MustCompile(`^[a-f0-9]{64}$`).MatchString(hex) {
			return fmt.Sprintf("digest %q: sha256 needs 64 lower-case hex characters, got %d characters", dig, len(hex))
		}
	}
	name, tag := rest, ""
	if i := strings.LastIndex(rest, ":"); i >= 0 && !strings.Contains(rest[i+1:], "/") {
		name, tag = rest[:i], rest[i+1:]
		if !tagRE.MatchString(tag) {
			return fmt.Sprintf("tag %q must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}", tag)
		}
	}
	for i, part := range strings.Split(name, "/") {
		if part == "" {
			return fmt.Sprintf("path component %d of %q is empty", i+1, name)
		}
	}
	if errors.Is(err, dref.ErrReferenceInvalidFormat) {
		return fmt.Sprintf("invalid reference format: %q has a character or separator not allowed in a repository name (allowed: a-z 0-9 and single . _ __ - between them)", name)
	}
	return err.Error()
}

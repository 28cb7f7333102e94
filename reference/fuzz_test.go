package reference

import (
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/pullwarden/pullwarden/cause"
)

// FuzzParse checks that Parse never panics, that every rejection is an
// InvalidImageName, and that every accepted reference normalises to a
// fixed point.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"nginx", "nginx:1.27", "localhost:5000/a/b@" + dig, "[::1]:5000/x", "A/b", "a:b:c", "a@sha256:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		if err != nil {
			if !errors.Is(err, cause.InvalidImageName) {
				t.Fatalf("Parse(%q): cause %v", s, cause.Of(err))
			}
			if !utf8.ValidString(err.Error()) && utf8.ValidString(s) {
				t.Fatalf("message not UTF-8")
			}
			return
		}
		again, err := Parse(r.String())
		if err != nil {
			t.Fatalf("normalised %q of %q does not parse: %v", r.String(), s, err)
		}
		if again.String() != r.String() {
			t.Fatalf("not a fixed point: %q -> %q", r.String(), again.String())
		}
		if r.Tag() == "" && r.Digest() == "" {
			t.Fatalf("%q: neither tag nor digest after defaulting", s)
		}
	})
}

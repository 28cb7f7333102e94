package policy

import (
	"errors"
	"testing"

	"github.com/pullwarden/pullwarden/cause"
)

const dig = "sha256:0000000000000000000000000000000000000000000000000000000000000001"

func TestDefault(t *testing.T) {
	for image, want := range map[string]Policy{
		"nginx":                 Always,
		"nginx:latest":          Always,
		"nginx:latest@" + dig:   Always,
		"localhost:5000/app":    Always,
		"nginx:1.27":            IfNotPresent,
		"nginx@" + dig:          IfNotPresent,
		"nginx:Latest":          IfNotPresent,
		"localhost:5000/app:v1": IfNotPresent,
		"Invalid/Name":          IfNotPresent,
		"":                      IfNotPresent,
	} {
		if got := Default(image); got != want {
			t.Errorf("Default(%q) = %s, want %s", image, got, want)
		}
	}
	if got := Policy("").Or("nginx"); got != Always {
		t.Errorf("Or = %s", got)
	}
	if got := Never.Or("nginx"); got != Never {
		t.Errorf("Or overrode an explicit policy: %s", got)
	}
}

func TestDecide(t *testing.T) {
	for _, tc := range []struct {
		p       Policy
		present bool
		want    Decision
		err     *cause.Cause
	}{
		{Always, false, Pull, nil},
		{Always, true, Pull, nil},
		{IfNotPresent, false, Pull, nil},
		{IfNotPresent, true, UsePresent, nil},
		{Never, true, UsePresent, nil},
		{Never, false, 0, cause.ErrImageNeverPull},
	} {
		got, err := Decide(tc.p, "img:1", tc.present)
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("%s present=%v: err %v, want %s", tc.p, tc.present, err, tc.err)
			}
			if err != nil && err.Error() != `Container image "img:1" is not present with pull policy of Never` {
				t.Errorf("message %q", err.Error())
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s present=%v: %v %v, want %v", tc.p, tc.present, got, err, tc.want)
		}
	}
	if _, err := Decide("Sometimes", "x", true); err == nil {
		t.Error("unknown policy accepted")
	}
}

func TestParse(t *testing.T) {
	for _, s := range []string{"Always", "IfNotPresent", "Never", ""} {
		if p, err := Parse(s); err != nil || string(p) != s {
			t.Errorf("Parse(%q) = %q, %v", s, p, err)
		}
	}
	if _, err := Parse("always"); err == nil {
		t.Error("lower-case policy accepted (the API is case sensitive)")
	}
}

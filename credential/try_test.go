package credential

import (
	"errors"
	"reflect"
	"testing"
)

var errRefused = errors.New("refused")

type fixedRing []Credential

func (f fixedRing) Lookup(string) []Credential { return f }

// TestTryKubeletRule: matching credentials in order until one is not
// refused; no anonymous attempt after refusals; one anonymous attempt when
// nothing matches; another error stops the loop.
func TestTryKubeletRule(t *testing.T) {
	a, b, c := Credential{Source: "a"}, Credential{Source: "b"}, Credential{Source: "c"}
	refused := func(err error) bool { return errors.Is(err, errRefused) }
	errOther := errors.New("unreachable")
	for _, tc := range []struct {
		name        string
		ring        Keyring
		answers     map[string]error
		wantTried   []string
		wantRefused []string
		wantLast    string
		wantErr     error
	}{
		{"none match: one anonymous attempt", fixedRing{}, nil, []string{"anonymous"}, nil, "", nil},
		{"nil keyring", nil, map[string]error{"anonymous": errRefused}, []string{"anonymous"}, nil, "", errRefused},
		{"second accepted", fixedRing{a, b, c}, map[string]error{"a": errRefused}, []string{"a", "b"}, []string{"a"}, "b", nil},
		{"all refused: no anonymous", fixedRing{a, b}, map[string]error{"a": errRefused, "b": errRefused}, []string{"a", "b"}, []string{"a", "b"}, "b", errRefused},
		{"other error stops", fixedRing{a, b}, map[string]error{"a": errOther}, []string{"a"}, nil, "a", errOther},
	} {
		var tried []string
		last, ref, err := Try(tc.ring, "reg/app", refused, func(c *Credential) error {
			name := "anonymous"
			if c != nil {
				name = c.Source
			}
			tried = append(tried, name)
			return tc.answers[name]
		})
		lastName := ""
		if last != nil {
			lastName = last.Source
		}
		if !reflect.DeepEqual(tried, tc.wantTried) || !reflect.DeepEqual(ref, tc.wantRefused) || lastName != tc.wantLast || !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
			t.Errorf("%s: tried %v refused %v last %q err %v; want %v %v %q %v", tc.name, tried, ref, lastName, err, tc.wantTried, tc.wantRefused, tc.wantLast, tc.wantErr)
		}
	}
}

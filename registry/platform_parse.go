package registry

import (
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// ParsePlatform parses a platform as given to --platform:
// os/arch[/variant], each part made of letters, digits, '.', '_' and '-',
// e.g. "linux/arm64/v8". An OS version (Windows) may follow a ':'.
func ParsePlatform(s string) (*v1.Platform, error) {
	bad := fmt.Errorf("platform %q: want os/arch[/variant], e.g. linux/arm64/v8", sanitize(s))
	spec, osVersion, hasVersion := strings.Cut(s, ":")
	if hasVersion && !platformWord(osVersion) {
		return nil, bad
	}
	parts := strings.Split(spec, "/")
	if len(parts) < 2 || len(parts) > 3 {
		return nil, bad
	}
	for _, p := range parts {
		if !platformWord(p) {
			return nil, bad
		}
	}
	p := &v1.Platform{OS: parts[0], Architecture: parts[1], OSVersion: osVersion}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	return p, nil
}

func platformWord(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

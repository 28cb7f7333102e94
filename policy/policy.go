package policy

import (
	"fmt"

	"github.com/pullwarden/pullwarden/cause"
	"github.com/pullwarden/pullwarden/reference"
)

// Policy is an imagePullPolicy value, spelled as in the Kubernetes API.
type Policy string

// The policies.
const (
	Always       Policy = "Always"
	IfNotPresent Policy = "IfNotPresent"
	Never        Policy = "Never"
)

// Policies lists the valid values, for flags and completion.
var Policies = []Policy{Always, IfNotPresent, Never}

// Parse accepts a policy as spelled in the Kubernetes API. The empty string
// is returned as is: it means "default it".
func Parse(s string) (Policy, error) {
	switch p := Policy(s); p {
	case Always, IfNotPresent, Never, "":
		return p, nil
	}
	return "", fmt.Errorf("unsupported imagePullPolicy %q: supported values: %q, %q, %q", s, Always, IfNotPresent, Never)
}

// Default returns the policy the API server gives a container whose
// imagePullPolicy is empty.
func Default(image string) Policy {
	r, err := reference.Parse(image)
	if err != nil {
		return IfNotPresent
	}
	if r.Tag() == reference.DefaultTag {
		return Always
	}
	return IfNotPresent
}

// Or returns p, or the default for image when p is empty.
func (p Policy) Or(image string) Policy {
	if p == "" {
		return Default(image)
	}
	return p
}

// Decision is what to do for one container's image.
type Decision int

// The decisions.
const (
	// Pull asks the registry.
	Pull Decision = iota
	// UsePresent uses the image already in the store.
	UsePresent
)

func (d Decision) String() string {
	if d == UsePresent {
		return "UsePresent"
	}
	return "Pull"
}

// Decide applies p to an image given whether the store has it. image is the
// reference as written, used in the ErrImageNeverPull message.
func Decide(p Policy, image string, present bool) (Decision, error) {
	switch p {
	case Always:
		return Pull, nil
	case IfNotPresent:
		if present {
			return UsePresent, nil
		}
		return Pull, nil
	case Never:
		if present {
			return UsePresent, nil
		}
		return 0, cause.New(cause.ErrImageNeverPull,
			"Container image %q is not present with pull policy of Never", image)
	}
	return 0, fmt.Errorf("unsupported imagePullPolicy %q", p)
}

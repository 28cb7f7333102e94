package reference

import (
	dref "github.com/distribution/reference"
)

// DefaultTag is the tag implied when a reference has neither tag nor digest.
const DefaultTag = "latest"

// Reference is a parsed, normalised image reference.
type Reference struct {
	raw   string
	named dref.Named
	tag   string // as written, or DefaultTag when implied
	dig   string
}

// Raw is the reference as the user wrote it.
func (r Reference) Raw() string { return r.raw }

// Registry is the registry host, with port when given ("docker.io",
// "localhost:5000").
func (r Reference) Registry() string { return dref.Domain(r.named) }

// Repository is the path inside the registry ("library/nginx").
func (r Reference) Repository() string { return dref.Path(r.named) }

// Name is registry/repository ("docker.io/library/nginx").
func (r Reference) Name() string { return r.named.Name() }

// Tag is the tag, "latest" when it was implied. It is empty only when the
// reference has a digest and no tag.
func (r Reference) Tag() string { return r.tag }

// Digest is the digest ("sha256:..."), or "".
func (r Reference) Digest() string { return r.dig }

// TagImplied reports whether the tag "latest" was added because the
// reference had neither tag nor digest.
func (r Reference) TagImplied() bool {
	_, tagged := r.named.(dref.Tagged)
	return !tagged && r.dig == ""
}

// String is the fully qualified reference with the default tag applied, as
// the kubelet passes it to the runtime: "docker.io/library/nginx:latest",
// "reg:5000/a/b:1@sha256:...".
func (r Reference) String() string {
	s := r.Name()
	if r.tag != "" {
		s += ":" + r.tag
	}
	if r.dig != "" {
		s += "@" + r.dig
	}
	return s
}

// Familiar is the short form users write ("nginx:latest").
func (r Reference) Familiar() string {
	n, err := dref.ParseNormalizedNamed(r.String())
	if err != nil {
		return r.String()
	}
	return dref.FamiliarString(n)
}

// Locator is what the registry is asked for: the digest when there is one
// (it pins the content), else the tag.
func (r Reference) Locator() string {
	if r.dig != "" {
		return r.dig
	}
	return r.tag
}

// Package reference parses, validates and normalises container image
// references exactly as the kubelet does.
//
// A reference is name[:tag][@digest]. A name without a registry host is on
// Docker Hub (docker.io) and a one-part Docker Hub name gets the library/
// prefix. The first component is a host when it contains "." or ":" or is
// "localhost". Repository components are lower case, tags match
// [\w][\w.-]{0,127} and digests are algorithm:hex. The tag "latest" is
// implied only when a reference has neither a tag nor a digest.
//
// Parsing uses github.com/distribution/reference, the grammar the kubelet and
// the container runtimes share; this package adds the kubelet's defaulting
// and turns every rejection into a cause.InvalidImageName error that says
// which part of the reference is wrong.
package reference

// Package policy implements imagePullPolicy: its defaulting from the image
// reference and the decision, per container, whether to pull.
//
// Defaulting (only when the field is empty): a reference whose tag is
// "latest", written or implied, gets Always; anything else, a digest-only
// reference included, gets IfNotPresent. "nginx:latest@sha256:..." is
// Always. A reference that does not parse also gets IfNotPresent: it is
// rejected later, where the image is used.
//
// Decide: Always asks the registry every time (with the layers present only
// the manifest travels); IfNotPresent and Never look in the local store
// first; Never with the image absent is cause.ErrImageNeverPull.
//
// Verification is the kubelet's imagePullCredentialsVerificationPolicy
// (KEP-2535, on by default since Kubernetes 1.35): whether a pod must prove
// its access to an image already present before using it. The default,
// NeverVerifyPreloadedImages, checks images the node pulled itself and
// trusts preloaded ones; the image manager (package pull) keeps the records
// of which credentials pulled what.
package policy

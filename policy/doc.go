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
package policy

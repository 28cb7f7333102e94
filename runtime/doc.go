// Package runtime declares what the pod lifecycle needs of a container
// runtime: pod sandboxes, containers in them, their status, and whether an
// image is present. It mirrors the CRI's shape in plain Go types so that
// the lifecycle neither imports gRPC nor depends on one runtime;
// runtime/cri implements it over the CRI v1 API of containerd.
//
// Semantics shared by implementations:
//   - IDs are the runtime's; callers keep them.
//   - ErrNotFound (errors.Is) marks a missing sandbox, container or image.
//   - Stop and remove of something already gone succeed, so cleanup can be
//     retried.
//   - Container logs go to Sandbox.LogDirectory joined with
//     ContainerSpec.LogPath in the CRI log format (see runtime/cri's log
//     reader).
package runtime

// Package manifest turns Kubernetes manifests into typed objects the way the
// API server would see them, for the kinds pullwarden's node agent serves:
// Pod, Secret, ServiceAccount, Namespace and Event (all apiVersion v1).
//
// Decoding (Decode, Read): files, directories (the .yaml, .yml and .json
// files directly inside, in name order) and stdin ("-", named STDIN in
// errors). A source holds YAML documents separated by "---" lines, or
// concatenated JSON objects; a "kind: List" document is flattened into its
// items. A source larger than MaxBytes (3 MiB, the API server's request limit)
// is rejected before it is decoded. Unknown fields are rejected as the API
// server's strict field validation does. A kind the agent does not serve gets
// kubectl's "resource mapping not found" error. Every error names the source
// and the document number (counted from 1, empty documents not counted); YAML
// syntax errors carry the line number within the source.
//
// Server-side semantics, applied by the object store on every write:
//   - Default fills the fields the API server defaults: for pods namespace
//     "default", restartPolicy Always, dnsPolicy ClusterFirst, schedulerName
//     default-scheduler, enableServiceLinks true, terminationGracePeriodSeconds
//     30, an empty securityContext, and per container imagePullPolicy
//     (policy.Default: Always for :latest or no tag, else IfNotPresent),
//     terminationMessagePath /dev/termination-log, terminationMessagePolicy
//     File, resources {} (requests copied from limits), port protocol TCP.
//     Secrets get type Opaque and stringData merged into data.
//   - PrepareForCreate and PrepareForUpdate are the API server's strategies:
//     a created pod's status is reset to phase Pending with its QoS class; an
//     update keeps the stored status; UpdateStatus keeps the stored spec.
//   - AdmitPod is the ServiceAccount admission step: serviceAccountName
//     defaults to "default" and the ServiceAccount's imagePullSecrets are
//     copied only when the pod lists none. It runs on create only.
//   - Validate and ValidateUpdate return the API server's Invalid errors
//     (*apierrors.StatusError, "Pod \"x\" is invalid: spec.containers:
//     Required value") with field paths in the status details. As in
//     Kubernetes, an image must only be non-empty and free of surrounding
//     whitespace here: an unparseable reference is the kubelet's
//     InvalidImageName, reported later by the pod lifecycle.
package manifest

// Package qos computes a pod's Quality of Service class, the one truth
// that the API server's defaulting (manifest), the pod status (pod) and
// kubectl's output (printer) share. It follows Kubernetes 1.37 (kubectl's
// util/qos and the API server agree):
//
//   - with pod-level resources (spec.resources setting cpu, memory or
//     hugepages), they alone decide;
//   - otherwise each init and regular container is classified by cpu and
//     memory only (ephemeral-storage, hugepages and extended resources do
//     not count): BestEffort when a resource's request and limit are both
//     zero or absent, Guaranteed when they are equal and non-zero,
//     Burstable when they differ; a container is the common class of cpu
//     and memory, or Burstable when they differ;
//   - the pod is the common class of its containers, or Burstable when they
//     differ. A pod without containers is BestEffort.
//
// So a pod with only an ephemeral-storage limit, or a zero cpu request, is
// BestEffort.
package qos

// Package workload finds the images a Kubernetes workload pulls and the
// pull secrets it names, in pod specs and in manifests.
//
// FromPodSpec lists a pod spec's images in the kubelet's order: init
// containers, containers, ephemeral containers, then image volumes
// (spec.volumes[].image, pulled like container images), each with its
// imagePullPolicy as written ("" means the API server's default). PullSecrets
// applies the ServiceAccount admission rule: a pod that names no
// imagePullSecrets gets its service account's.
//
// Read decodes manifests from files, directories (recursively with -R) and
// stdin ("-"): multi-document YAML and JSON, and List objects (kubectl's
// kind: List, or any kind ending in List with items), as kustomize and Helm
// print them. Pods, PodTemplates, Deployments, StatefulSets, DaemonSets,
// ReplicaSets, ReplicationControllers, Jobs and CronJobs are read at their
// known pod spec paths; any other kind is searched for a pod template (a
// "template" whose "spec" has "containers"), so custom resources that embed
// one are covered. Secrets and ServiceAccounts in the same input are kept
// for credential resolution. A document that does not parse is an error
// naming its file and document number; kinds without a pod template are
// ignored.
package workload

// Package kube explains a pod's image pulls from a Kubernetes API: the
// node agent's or a real cluster's, through the same client-go
// kubernetes.Interface. ExplainPod reads the pod, its pull secrets, its
// service account and its events, finds the containers waiting on an
// image (init, regular, ephemeral, or an image volume named in a
// "Failed to pull image" event), and runs the diagnose checklist for each
// with the pod's own credentials and the kubelet's back-off state.
//
// Options.Remote says the pull runs on the pod's node and not here (a real
// cluster): the node's network path, its own credentials and kubelet
// credential providers are then reported as not checked. Secrets are read
// only to build the keyring; their values never reach the result.
//
// The last step says what happens next under the retry policy in force
// (KubeletState.Retry): on the agent, the pod's pullwarden.io/retry-policy
// annotation or else Options.RetryPolicy (the agent's, default smart); on
// a cluster, the kubelet's back-off unless Options.Controller says the
// pullwarden controller runs (then the annotation, else smart).
package kube

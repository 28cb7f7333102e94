// Package printer renders Pods and Events exactly as kubectl renders them, so
// that `pullwarden get pods`, `pullwarden describe pod` and
// `pullwarden get events` read like `kubectl get pods`, `kubectl describe pod`
// and `kubectl get events`.
//
// The rules follow Kubernetes' own printers, re-implemented here without
// importing k8s.io/kubernetes or k8s.io/kubectl:
//
//   - Tables ([Pods], [Events], [PodWatch]) reproduce the apiserver's table
//     rows (pkg/printers/internalversion printPod / printEvent) as laid out
//     by kubectl's client (k8s.io/cli-runtime printers): upper-case headers,
//     a tabwriter with min width 6, tab width 4, padding 3 and space padding,
//     a NAMESPACE column first with AllNamespaces, priority-1 columns only
//     with Wide, cells cut at the first newline with "..." and ESC shown as
//     "^[". An empty list prints nothing at all (kubectl then prints
//     [NoResources] to stderr; that is the command's job).
//   - Ages are k8s.io/apimachinery's duration.HumanDuration of Now minus the
//     timestamp ("<unknown>" for a zero timestamp), as the apiserver computes
//     them. Now is always passed in (PodOptions.Now, EventOptions.Now, the now
//     argument of [DescribePod]); a zero Now means time.Now().
//   - Rows come in the order the apiserver lists objects: by namespace, then
//     name. kubectl get itself does not sort (not even events).
//   - [DescribePod] follows kubectl's describePod with its two-space prefix
//     writer and a text/tabwriter (min width 0, tab width 8, padding 2).
//     Timestamps such as Start Time are printed in RFC 1123 with numeric zone,
//     in the location of now (kubectl uses the local zone: pass time.Now()).
//     Events are sorted by lastTimestamp, as kubectl sorts them.
//
// Versions. The table rows follow the apiserver printers of Kubernetes
// v1.37 (the server computes them, so they do not depend on the kubectl
// version). The describe layout follows kubectl v1.37 (k8s.io/kubectl
// v0.37.2, pkg/describe): named ports print as "8080/TCP (http)", probe
// thresholds as "successThreshold=1 failureThreshold=3", an event's message
// is prefixed with its field path ("spec.containers{app}: ..."), and a
// projected secret or config map prints "Optional: false". (kubectl 1.32
// and 1.33 differ in these four places.) The tests compare with the real
// kubectl v1.37.2 that scripts/kube.sh builds.
//
// [PodStatus] is the STATUS word alone (Running, Init:0/2, ImagePullBackOff,
// ...), for callers that need it without a table.
//
// Nothing here logs, reads a clock of its own when given one, or touches the
// network: the functions only format what they are given.
package printer

package printer

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// PodOptions selects how [Pods] prints. The zero value prints what plain
// `kubectl get pods` prints, with ages measured from the wall clock.
type PodOptions struct {
	// Wide adds IP, NODE, NOMINATED NODE and READINESS GATES (-o wide).
	Wide bool
	// AllNamespaces adds a leading NAMESPACE column (-A).
	AllNamespaces bool
	// NoHeaders leaves out the header line (--no-headers).
	NoHeaders bool
	// ShowLabels adds a LABELS column (--show-labels).
	ShowLabels bool
	// Now is the instant ages are measured from; zero means time.Now().
	Now time.Time
}

// podColumns are the apiserver's pod table columns, in order.
var podColumns = []column{
	{header: "NAME"},
	{header: "READY"},
	{header: "STATUS"},
	{header: "RESTARTS"},
	{header: "AGE"},
	{header: "IP", wide: true},
	{header: "NODE", wide: true},
	{header: "NOMINATED NODE", wide: true},
	{header: "READINESS GATES", wide: true},
}

// nodeUnreachablePodReason is the pod status reason the node lifecycle
// controller sets when the pod's node stopped reporting.
const nodeUnreachablePodReason = "NodeLost"

// Pods prints pods as `kubectl get pods` does. Pods are listed by namespace,
// then name, as the apiserver lists them; the slice is not modified. An empty
// list prints nothing.
func Pods(w io.Writer, pods []corev1.Pod, opts PodOptions) error {
	tw := newTableWriter(w)
	if err := writePods(tw, pods, opts, !opts.NoHeaders); err != nil {
		return err
	}
	return tw.Flush()
}

// writePods writes the pod table for pods to tw without flushing it.
func writePods(tw io.Writer, pods []corev1.Pod, opts PodOptions, header bool) error {
	now := nowOr(opts.Now)
	sorted := make([]*corev1.Pod, len(pods))
	for i := range pods {
		sorted[i] = &pods[i]
	}
	sort.SliceStable(sorted, func(i, j int) bool {
		if sorted[i].Namespace != sorted[j].Namespace {
			return sorted[i].Namespace < sorted[j].Namespace
		}
		return sorted[i].Name < sorted[j].Name
	})
	t := table{columns: podColumns}
	if opts.ShowLabels {
		t.columns = append(append([]column{}, podColumns...), column{header: "LABELS"})
	}
	var ns []string
	if opts.AllNamespaces {
		ns = []string{}
	}
	for _, p := range sorted {
		row := podRow(p, now)
		if opts.ShowLabels {
			row = append(row, Labels(p.Labels))
		}
		t.rows = append(t.rows, row)
		if ns != nil {
			ns = append(ns, p.Namespace)
		}
	}
	return t.write(tw, opts.Wide, header, ns)
}

// PodWatch prints pods as `kubectl get pods -w` does: the header once, before
// the first row printed, then one line per pod change, with column widths
// that only grow so later lines stay aligned with earlier ones.
type PodWatch struct {
	opts    PodOptions
	tw      flushWriter
	printed bool
}

// flushWriter is a writer that buffers until flushed.
type flushWriter interface {
	io.Writer
	Flush() error
}

// NewPodWatch returns a PodWatch writing to w. opts.Now is not used: each
// Print passes its own instant.
func NewPodWatch(w io.Writer, opts PodOptions) *PodWatch {
	return &PodWatch{opts: opts, tw: newTableWriter(w)}
}

// Print writes one line per pod, measuring ages from now (zero: time.Now()).
// The first call that has pods also writes the header, unless NoHeaders.
// Use it for the initial list and then for each watch event.
func (p *PodWatch) Print(now time.Time, pods ...corev1.Pod) error {
	opts := p.opts
	opts.Now = now
	header := !opts.NoHeaders && !p.printed
	if err := writePods(p.tw, pods, opts, header); err != nil {
		return err
	}
	if len(pods) > 0 {
		p.printed = true
	}
	return p.tw.Flush()
}

// podRow is the apiserver's printPod row: NAME READY STATUS RESTARTS AGE
// followed by the wide cells IP NODE NOMINATED NODE READINESS GATES.
func podRow(pod *corev1.Pod, now time.Time) []string {
	s := podSummary(pod)
	restarts := strconv.Itoa(s.restarts)
	if s.restarts != 0 && !s.lastRestart.IsZero() {
		restarts = fmt.Sprintf("%d (%s ago)", s.restarts, since(s.lastRestart, now))
	}
	ip := "<none>"
	if len(pod.Status.PodIPs) > 0 && pod.Status.PodIPs[0].IP != "" {
		ip = pod.Status.PodIPs[0].IP
	}
	node := orNone(pod.Spec.NodeName)
	nominated := orNone(pod.Status.NominatedNodeName)
	gates := "<none>"
	if len(pod.Spec.ReadinessGates) > 0 {
		gates = fmt.Sprintf("%d/%d", trueGates(pod), len(pod.Spec.ReadinessGates))
	}
	return []string{
		pod.Name,
		fmt.Sprintf("%d/%d", s.ready, s.total),
		s.status,
		restarts,
		since(pod.CreationTimestamp.Time, now),
		ip, node, nominated, gates,
	}
}

// trueGates counts the readiness gates whose condition is True.
func trueGates(pod *corev1.Pod) int {
	n := 0
	for _, g := range pod.Spec.ReadinessGates {
		for _, c := range pod.Status.Conditions {
			if c.Type == g.ConditionType {
				if c.Status == corev1.ConditionTrue {
					n++
				}
				break
			}
		}
	}
	return n
}

// orNone returns s, or "<none>" when s is empty.
func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

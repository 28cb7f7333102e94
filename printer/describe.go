package printer

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Indentation levels of kubectl's prefix writer: two spaces per level.
const (
	level0 = iota
	level1
	level2
	level3
)

// prefixWriter is kubectl's describe writer: each Write is indented by two
// spaces per level and has its terminal escapes made visible.
type prefixWriter struct {
	out io.Writer
	err error
}

// write formats a line (or part of one) at the given level.
func (pw *prefixWriter) write(level int, format string, a ...any) {
	if pw.err != nil {
		return
	}
	s := strings.Repeat("  ", level) + fmt.Sprintf(format, a...)
	_, pw.err = io.WriteString(pw.out, escapeTerminal(s))
}

// line writes s followed by a newline, without indentation.
func (pw *prefixWriter) line(s string) {
	pw.write(level0, "%s\n", s)
}

// describeContext is what every part of a description needs.
type describeContext struct {
	w   *prefixWriter
	now time.Time
	pod *corev1.Pod
}

// stamp formats t as kubectl's describe does, in the location of now.
func (d *describeContext) stamp(t time.Time) string {
	return t.In(d.now.Location()).Format(time.RFC1123Z)
}

// DescribePod prints pod and its events as `kubectl describe pod` does.
// events should be the events whose involvedObject is the pod; they are
// sorted by lastTimestamp (a copy: the slice is not modified) and aged from
// now. An empty list prints "Events: <none>". now also gives the time zone
// of printed timestamps; a zero now means time.Now() in the local zone, like
// kubectl.
func DescribePod(w io.Writer, pod *corev1.Pod, events []corev1.Event, now time.Time) error {
	tw := new(tabwriter.Writer)
	tw.Init(w, 0, 8, 2, ' ', 0)
	d := &describeContext{w: &prefixWriter{out: tw}, now: nowOr(now), pod: pod}
	d.header()
	if len(pod.Spec.InitContainers) > 0 {
		d.containers("Init Containers", pod.Spec.InitContainers, pod.Status.InitContainerStatuses)
	}
	d.containers("Containers", pod.Spec.Containers, pod.Status.ContainerStatuses)
	if len(pod.Spec.EphemeralContainers) > 0 {
		var ec []corev1.Container
		for i := range pod.Spec.EphemeralContainers {
			ec = append(ec, corev1.Container(pod.Spec.EphemeralContainers[i].EphemeralContainerCommon))
		}
		d.containers("Ephemeral Containers", ec, pod.Status.EphemeralContainerStatuses)
	}
	d.conditions()
	d.volumes()
	d.w.write(level0, "QoS Class:\t%s\n", podQOS(pod))
	d.labels("Node-Selectors", pod.Spec.NodeSelector)
	d.tolerations()
	d.topologySpread()
	d.events(events)
	if d.w.err != nil {
		return d.w.err
	}
	return tw.Flush()
}

// header writes everything above the containers.
func (d *describeContext) header() {
	w, pod := d.w, d.pod
	w.write(level0, "Name:\t%s\n", pod.Name)
	w.write(level0, "Namespace:\t%s\n", pod.Namespace)
	if pod.Spec.Priority != nil {
		w.write(level0, "Priority:\t%d\n", *pod.Spec.Priority)
	}
	if pod.Spec.PriorityClassName != "" {
		w.write(level0, "Priority Class Name:\t%s\n", pod.Spec.PriorityClassName)
	}
	if pod.Spec.RuntimeClassName != nil && *pod.Spec.RuntimeClassName != "" {
		w.write(level0, "Runtime Class Name:\t%s\n", *pod.Spec.RuntimeClassName)
	}
	if pod.Spec.ServiceAccountName != "" {
		w.write(level0, "Service Account:\t%s\n", pod.Spec.ServiceAccountName)
	}
	if pod.Spec.NodeName == "" {
		w.write(level0, "Node:\t<none>\n")
	} else {
		w.write(level0, "Node:\t%s\n", pod.Spec.NodeName+"/"+pod.Status.HostIP)
	}
	if pod.Status.StartTime != nil {
		w.write(level0, "Start Time:\t%s\n", d.stamp(pod.Status.StartTime.Time))
	}
	d.labels("Labels", pod.Labels)
	d.annotations()
	if pod.DeletionTimestamp != nil && pod.Status.Phase != corev1.PodFailed && pod.Status.Phase != corev1.PodSucceeded {
		w.write(level0, "Status:\tTerminating (lasts %s)\n", since(pod.DeletionTimestamp.Time, d.now))
		var grace int64
		if pod.DeletionGracePeriodSeconds != nil {
			grace = *pod.DeletionGracePeriodSeconds
		}
		w.write(level0, "Termination Grace Period:\t%ds\n", grace)
	} else {
		w.write(level0, "Status:\t%s\n", pod.Status.Phase)
	}
	if pod.Status.Reason != "" {
		w.write(level0, "Reason:\t%s\n", pod.Status.Reason)
	}
	if pod.Status.Message != "" {
		w.write(level0, "Message:\t%s\n", pod.Status.Message)
	}
	if sc := pod.Spec.SecurityContext; sc != nil && sc.SeccompProfile != nil {
		w.write(level0, "SeccompProfile:\t%s\n", sc.SeccompProfile.Type)
		if sc.SeccompProfile.Type == corev1.SeccompProfileTypeLocalhost && sc.SeccompProfile.LocalhostProfile != nil {
			w.write(level0, "LocalhostProfile:\t%s\n", *sc.SeccompProfile.LocalhostProfile)
		}
	}
	w.write(level0, "IP:\t%s\n", pod.Status.PodIP)
	if len(pod.Status.PodIPs) == 0 {
		w.write(level0, "IPs:\t<none>\n")
	} else {
		w.write(level0, "IPs:\n")
		for _, ip := range pod.Status.PodIPs {
			w.write(level1, "IP:\t%s\n", ip.IP)
		}
	}
	if ref := metav1.GetControllerOf(pod); ref != nil {
		w.write(level0, "Controlled By:\t%s/%s\n", ref.Kind, ref.Name)
	}
	if pod.Status.NominatedNodeName != "" {
		w.write(level0, "NominatedNodeName:\t%s\n", pod.Status.NominatedNodeName)
	}
	if pod.Spec.Resources != nil {
		w.write(level0, "Resources:\n")
		d.resources(pod.Spec.Resources, level1)
	}
}

// conditions writes the readiness gates and the Conditions table.
func (d *describeContext) conditions() {
	w, pod := d.w, d.pod
	if len(pod.Spec.ReadinessGates) > 0 {
		w.write(level0, "Readiness Gates:\n  Type\tStatus\n")
		for _, g := range pod.Spec.ReadinessGates {
			status := "<none>"
			for _, c := range pod.Status.Conditions {
				if c.Type == g.ConditionType {
					status = string(c.Status)
					break
				}
			}
			w.write(level1, "%v \t%v \n", g.ConditionType, status)
		}
	}
	if len(pod.Status.Conditions) > 0 {
		w.write(level0, "Conditions:\n  Type\tStatus\n")
		for _, c := range pod.Status.Conditions {
			w.write(level1, "%v \t%v \n", c.Type, c.Status)
		}
	}
}

// events writes the Events table, oldest last-seen first.
func (d *describeContext) events(events []corev1.Event) {
	w := d.w
	if len(events) == 0 {
		w.write(level0, "Events:\t<none>\n")
		return
	}
	sorted := append([]corev1.Event(nil), events...)
	sort.Sort(byLastTimestamp(sorted))
	w.write(level0, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n")
	w.write(level1, "----\t------\t----\t----\t-------\n")
	for _, e := range sorted {
		first := since(e.EventTime.Time, d.now)
		if e.EventTime.IsZero() {
			first = since(e.FirstTimestamp.Time, d.now)
		}
		interval := first
		switch {
		case e.Series != nil:
			interval = fmt.Sprintf("%s (x%d over %s)", since(e.Series.LastObservedTime.Time, d.now), e.Series.Count, first)
		case e.Count > 1:
			interval = fmt.Sprintf("%s (x%d over %s)", since(e.LastTimestamp.Time, d.now), e.Count, first)
		}
		source := firstNonEmpty(e.Source.Component, e.ReportingController)
		message := strings.TrimSpace(e.Message)
		if e.InvolvedObject.FieldPath != "" {
			message = e.InvolvedObject.FieldPath + ": " + message
		}
		w.write(level1, "%v\t%v\t%s\t%v\t%v\n", e.Type, e.Reason, interval, source, message)
	}
}

// byLastTimestamp orders events as kubectl's describe does. It is used with
// the same (unstable) sort.Sort so that ties fall the same way.
type byLastTimestamp []corev1.Event

func (l byLastTimestamp) Len() int      { return len(l) }
func (l byLastTimestamp) Swap(i, j int) { l[i], l[j] = l[j], l[i] }
func (l byLastTimestamp) Less(i, j int) bool {
	return l[i].LastTimestamp.Time.Before(l[j].LastTimestamp.Time)
}

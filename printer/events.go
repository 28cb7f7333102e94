package printer

import (
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// EventOptions selects how [Events] prints. The zero value prints what plain
// `kubectl get events` prints, with ages measured from the wall clock.
type EventOptions struct {
	// Wide adds SUBOBJECT, SOURCE, FIRST SEEN, COUNT and NAME (-o wide).
	Wide bool
	// AllNamespaces adds a leading NAMESPACE column (-A).
	AllNamespaces bool
	// NoHeaders leaves out the header line (--no-headers).
	NoHeaders bool
	// Now is the instant ages are measured from; zero means time.Now().
	Now time.Time
}

// eventColumns are the apiserver's event table columns, in order; the wide
// ones sit between the others exactly as the apiserver defines them.
var eventColumns = []column{
	{header: "LAST SEEN"},
	{header: "TYPE"},
	{header: "REASON"},
	{header: "OBJECT"},
	{header: "SUBOBJECT", wide: true},
	{header: "SOURCE", wide: true},
	{header: "MESSAGE"},
	{header: "FIRST SEEN", wide: true},
	{header: "COUNT", wide: true},
	{header: "NAME", wide: true},
}

// Events prints events as `kubectl get events` does: LAST SEEN, TYPE, REASON,
// OBJECT (kind/name in lower case, e.g. pod/web-0) and MESSAGE. kubectl get
// does not sort events; they come in the apiserver's list order, by
// namespace, then name, which is reproduced here (the slice is not modified).
// An empty list prints nothing.
func Events(w io.Writer, events []corev1.Event, opts EventOptions) error {
	now := nowOr(opts.Now)
	sorted := make([]*corev1.Event, len(events))
	for i := range events {
		sorted[i] = &events[i]
	}
	sort.SliceStable(sorted, func(i, j int) bool {
		if sorted[i].Namespace != sorted[j].Namespace {
			return sorted[i].Namespace < sorted[j].Namespace
		}
		return sorted[i].Name < sorted[j].Name
	})
	t := table{columns: eventColumns}
	var ns []string
	if opts.AllNamespaces {
		ns = []string{}
	}
	for _, e := range sorted {
		t.rows = append(t.rows, eventRow(e, now))
		if ns != nil {
			ns = append(ns, e.Namespace)
		}
	}
	tw := newTableWriter(w)
	if err := t.write(tw, opts.Wide, !opts.NoHeaders, ns); err != nil {
		return err
	}
	return tw.Flush()
}

// eventRow is the apiserver's printEvent row with all columns, wide included.
func eventRow(e *corev1.Event, now time.Time) []string {
	first := since(e.FirstTimestamp.Time, now)
	if e.FirstTimestamp.IsZero() {
		first = since(e.EventTime.Time, now)
	}
	last := since(e.LastTimestamp.Time, now)
	if e.LastTimestamp.IsZero() {
		last = first
	}
	count := e.Count
	if e.Series != nil {
		last = since(e.Series.LastObservedTime.Time, now)
		count = e.Series.Count
	} else if count == 0 {
		count = 1 // a singleton event of the events.k8s.io API has no count
	}
	target := strings.ToLower(e.InvolvedObject.Kind)
	if e.InvolvedObject.Name != "" {
		target += "/" + e.InvolvedObject.Name
	}
	return []string{
		last,
		e.Type,
		e.Reason,
		target,
		e.InvolvedObject.FieldPath,
		eventSource(e),
		strings.TrimSpace(e.Message),
		first,
		strconv.FormatInt(int64(count), 10),
		e.Name,
	}
}

// eventSource is the SOURCE cell: component (or reporting controller),
// followed by ", host" (or reporting instance) when known.
func eventSource(e *corev1.Event) string {
	component := firstNonEmpty(e.Source.Component, e.ReportingController)
	host := firstNonEmpty(e.Source.Host, e.ReportingInstance)
	if host == "" {
		return component
	}
	return component + ", " + host
}

// firstNonEmpty returns the first non-empty string of ss, or "".
func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

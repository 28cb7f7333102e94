package printer

import (
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// ObjectOptions selects how [Secrets], [ServiceAccounts] and [Namespaces]
// print.
type ObjectOptions struct {
	// AllNamespaces adds a leading NAMESPACE column (-A).
	AllNamespaces bool
	// NoHeaders leaves out the header line (--no-headers).
	NoHeaders bool
	// ShowLabels adds a LABELS column (--show-labels).
	ShowLabels bool
	// Now is the instant ages are measured from; zero means time.Now().
	Now time.Time
}

// Secrets prints secrets as `kubectl get secrets`: NAME TYPE DATA AGE.
func Secrets(w io.Writer, secrets []corev1.Secret, opts ObjectOptions) error {
	now := nowOr(opts.Now)
	rows := make([]objectRow, len(secrets))
	for i := range secrets {
		s := &secrets[i]
		rows[i] = objectRow{s.Namespace, s.Name, s.Labels, []string{s.Name, string(s.Type), strconv.Itoa(len(s.Data)), since(s.CreationTimestamp.Time, now)}}
	}
	return writeObjects(w, []string{"NAME", "TYPE", "DATA", "AGE"}, rows, opts)
}

// ServiceAccounts prints service accounts as `kubectl get serviceaccounts`:
// NAME SECRETS AGE.
func ServiceAccounts(w io.Writer, sas []corev1.ServiceAccount, opts ObjectOptions) error {
	now := nowOr(opts.Now)
	rows := make([]objectRow, len(sas))
	for i := range sas {
		s := &sas[i]
		rows[i] = objectRow{s.Namespace, s.Name, s.Labels, []string{s.Name, strconv.Itoa(len(s.Secrets)), since(s.CreationTimestamp.Time, now)}}
	}
	return writeObjects(w, []string{"NAME", "SECRETS", "AGE"}, rows, opts)
}

// Namespaces prints namespaces as `kubectl get namespaces`: NAME STATUS
// AGE (never a NAMESPACE column).
func Namespaces(w io.Writer, nss []corev1.Namespace, opts ObjectOptions) error {
	now := nowOr(opts.Now)
	rows := make([]objectRow, len(nss))
	for i := range nss {
		n := &nss[i]
		phase := string(n.Status.Phase)
		if phase == "" {
			phase = string(corev1.NamespaceActive)
		}
		rows[i] = objectRow{"", n.Name, n.Labels, []string{n.Name, phase, since(n.CreationTimestamp.Time, now)}}
	}
	opts.AllNamespaces = false
	return writeObjects(w, []string{"NAME", "STATUS", "AGE"}, rows, opts)
}

type objectRow struct {
	namespace, name string
	labels          map[string]string
	cells           []string
}

func writeObjects(w io.Writer, headers []string, rows []objectRow, opts ObjectOptions) error {
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].namespace != rows[j].namespace {
			return rows[i].namespace < rows[j].namespace
		}
		return rows[i].name < rows[j].name
	})
	t := table{}
	for _, h := range headers {
		t.columns = append(t.columns, column{header: h})
	}
	if opts.ShowLabels {
		t.columns = append(t.columns, column{header: "LABELS"})
	}
	var ns []string
	if opts.AllNamespaces {
		ns = []string{}
	}
	for _, r := range rows {
		cells := r.cells
		if opts.ShowLabels {
			cells = append(cells, Labels(r.labels))
		}
		t.rows = append(t.rows, cells)
		if ns != nil {
			ns = append(ns, r.namespace)
		}
	}
	tw := newTableWriter(w)
	if err := t.write(tw, false, !opts.NoHeaders, ns); err != nil {
		return err
	}
	return tw.Flush()
}

// Labels is the LABELS cell of --show-labels: k=v pairs sorted by key,
// comma-separated, or "<none>".
func Labels(l map[string]string) string {
	if len(l) == 0 {
		return "<none>"
	}
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + l[k]
	}
	return strings.Join(parts, ",")
}

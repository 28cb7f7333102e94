package printer

import (
	"io"
	"strings"
	"time"

	"github.com/liggitt/tabwriter"
	"k8s.io/apimachinery/pkg/util/duration"
)

// The layout kubectl's cli-runtime printers use for every table.
const (
	tableMinWidth = 6
	tableTabWidth = 4
	tablePadding  = 3
	tablePadChar  = ' '
)

// newTableWriter returns the tabwriter kubectl uses for `get`: widths are
// remembered across flushes, so rows printed later (watch) stay aligned with
// the rows printed before them.
func newTableWriter(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, tableMinWidth, tableTabWidth, tablePadding, tablePadChar, tabwriter.RememberWidths)
}

// column is one table column: its header as kubectl shows it and whether it
// only appears with -o wide (priority 1 in the apiserver's definitions).
type column struct {
	header string
	wide   bool
}

// table is a set of rows of string cells under column definitions, printed
// the way cli-runtime's HumanReadablePrinter prints a metav1.Table.
type table struct {
	columns []column
	rows    [][]string
}

// write prints t to tw. With header the upper-case column names come first;
// with namespaces a NAMESPACE column is prepended, holding ns[i] for row i.
// Nothing is printed for a table without rows.
func (t *table) write(tw io.Writer, wide, header bool, ns []string) error {
	if len(t.rows) == 0 {
		return nil
	}
	var b strings.Builder
	if header {
		var cells []string
		if ns != nil {
			cells = append(cells, "NAMESPACE")
		}
		for _, c := range t.columns {
			if c.wide && !wide {
				continue
			}
			cells = append(cells, c.header)
		}
		b.WriteString(strings.Join(cells, "\t"))
		b.WriteByte('\n')
	}
	for i, row := range t.rows {
		first := true
		sep := func() {
			if !first {
				b.WriteByte('\t')
			}
			first = false
		}
		if ns != nil {
			sep()
			b.WriteString(cellText(ns[i]))
		}
		for j, cell := range row {
			if j >= len(t.columns) || (t.columns[j].wide && !wide) {
				continue
			}
			sep()
			b.WriteString(cellText(cell))
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(tw, b.String())
	return err
}

// terminalEscaper makes terminal control characters visible, as kubectl does
// against escape-sequence attacks.
var terminalEscaper = strings.NewReplacer("\x1b", "^[", "\r", "\\r")

// escapeTerminal returns s with ESC and CR made visible.
func escapeTerminal(s string) string {
	if !strings.ContainsAny(s, "\x1b\r") {
		return s
	}
	return terminalEscaper.Replace(s)
}

// cellText is a table cell as kubectl prints it: cut at the first line break
// (newline, carriage return or form feed) with "..." appended, and with
// terminal escapes made visible.
func cellText(s string) string {
	if i := strings.IndexAny(s, "\f\n\r"); i >= 0 {
		return escapeTerminal(s[:i]) + "..."
	}
	return escapeTerminal(s)
}

// since is the apiserver's translateTimestampSince: "<unknown>" for a zero
// time, else the human duration from t to now.
func since(t, now time.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(now.Sub(t))
}

// nowOr returns now, or the wall clock when now is zero.
func nowOr(now time.Time) time.Time {
	if now.IsZero() {
		return time.Now()
	}
	return now
}

// NoResources is the line kubectl prints to stderr when a list is empty:
// "No resources found in NS namespace." or, across all namespaces,
// "No resources found".
func NoResources(namespace string, allNamespaces bool) string {
	if allNamespaces {
		return "No resources found"
	}
	return "No resources found in " + namespace + " namespace."
}

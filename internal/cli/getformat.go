package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"k8s.io/client-go/util/jsonpath"

	"github.com/pullwarden/pullwarden/manifest"
)

// outputFormat is a parsed -o value of get.
type outputFormat struct {
	kind     string // "", "wide", "yaml", "json", "name", "jsonpath"
	template string // for jsonpath
}

func parseOutput(s string) (outputFormat, error) {
	switch s {
	case "", "wide", "yaml", "json", "name":
		return outputFormat{kind: s}, nil
	}
	for _, p := range []string{"jsonpath=", "jsonpath-as-json="} {
		if t, ok := strings.CutPrefix(s, p); ok {
			if p == "jsonpath-as-json=" {
				return outputFormat{}, fmt.Errorf("unknown output format %q: supported: wide, yaml, json, name, jsonpath=TEMPLATE", s)
			}
			if err := jsonpath.New("out").Parse(t); err != nil {
				return outputFormat{}, fmt.Errorf("error parsing jsonpath %s, %v", t, err)
			}
			return outputFormat{kind: "jsonpath", template: t}, nil
		}
	}
	return outputFormat{}, fmt.Errorf("unknown output format %q: supported: wide, yaml, json, name, jsonpath=TEMPLATE", s)
}

// structured reports whether the format prints objects rather than a table.
func (f outputFormat) structured() bool {
	return f.kind == "yaml" || f.kind == "json" || f.kind == "name" || f.kind == "jsonpath"
}

// print prints items (each carrying its kind) as kubectl -o does: one
// object when single, else a v1 List; -o name prints kind/name lines.
func (f outputFormat) print(w io.Writer, kind manifest.Kind, single bool, items []any) error {
	switch f.kind {
	case "name":
		for _, it := range items {
			if o, ok := it.(interface{ GetName() string }); ok {
				fmt.Fprintf(w, "%s/%s\n", strings.ToLower(kind.Name), o.GetName())
			}
		}
		return nil
	case "jsonpath":
		var obj any = map[string]any{"apiVersion": "v1", "kind": "List", "items": items, "metadata": map[string]any{"resourceVersion": ""}}
		if single && len(items) == 1 {
			obj = items[0]
		}
		b, err := json.Marshal(obj)
		if err != nil {
			return err
		}
		var data any
		if err := json.Unmarshal(b, &data); err != nil {
			return err
		}
		jp := jsonpath.New("out").AllowMissingKeys(true)
		if err := jp.Parse(f.template); err != nil {
			return err
		}
		return jp.Execute(w, data)
	}
	return printObjects(w, f.kind, single, items)
}

package manifest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

const twoDocs = `# leading comment
apiVersion: v1
kind: Namespace
metadata:
  name: team
---
---
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: team
spec:
  containers:
  - name: app
    image: nginx
`

func TestDecode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		kinds   []string
		indexes []int
	}{
		{"multi-document YAML, empty documents skipped", twoDocs, []string{"Namespace", "Pod"}, []int{1, 2}},
		{"JSON stream", `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"a"}}
{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"b"}}`, []string{"Secret", "ServiceAccount"}, []int{1, 1}},
		{"List flattened", `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ServiceAccount
  metadata: {name: a}
- apiVersion: v1
  kind: Secret
  metadata: {name: b}
`, []string{"ServiceAccount", "Secret"}, []int{1, 1}},
		{"only comments", "# nothing\n---\n", nil, nil},
		{"null document", "null\n", nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			docs, err := Decode("in.yaml", []byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if len(docs) != len(tc.kinds) {
				t.Fatalf("got %d documents, want %d", len(docs), len(tc.kinds))
			}
			for i, d := range docs {
				k, _ := KindOf(d.Object)
				if k.Name != tc.kinds[i] || d.Index != tc.indexes[i] {
					t.Errorf("doc %d: kind %s index %d, want %s %d", i, k.Name, d.Index, tc.kinds[i], tc.indexes[i])
				}
				if gvk := d.Object.GetObjectKind().GroupVersionKind(); gvk.Kind != k.Name || gvk.Version != "v1" {
					t.Errorf("doc %d: type meta %v", i, gvk)
				}
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"unknown kind", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n",
			`resource mapping not found for name: "x" namespace: "" from "in.yaml": no matches for kind "Deployment" in version "apps/v1"`},
		{"unknown kind inside a List", "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: c, namespace: ns1}\n",
			`resource mapping not found for name: "c" namespace: "ns1" from "in.yaml": no matches for kind "ConfigMap" in version "v1"`},
		{"Pod in another version", "apiVersion: v2\nkind: Pod\nmetadata:\n  name: x\n",
			`no matches for kind "Pod" in version "v2"`},
		{"missing kind", "apiVersion: v1\nmetadata:\n  name: x\n",
			`error parsing "in.yaml" (document 1): error validating data: [kind not set]`},
		{"missing both", "metadata:\n  name: x\n", `error validating data: [apiVersion not set, kind not set]`},
		{"YAML syntax error, line in the file", "apiVersion: v1\nkind: Secret\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n  labels: a: b\n",
			`error parsing "in.yaml" (document 2): error converting YAML to JSON: yaml: line 9: mapping values are not allowed in this context`},
		{"JSON syntax error", "{\"apiVersion\":\"v1\",\n\"kind\":\"Pod\",,}", `invalid JSON at line 2`},
		{"unknown field", "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n  containers:\n  - name: a\n    imagee: nginx\n",
			`Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.containers[0].imagee"`},
		{"wrong type", "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n  containers: 3\n",
			`Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal number into Go struct field PodSpec.spec.containers of type []v1.Container`},
		{"top-level array", "- a\n- b\n", `error decoding object`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode("in.yaml", []byte(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestReadSources(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("b.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: b}\n")
	write("a.json", `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"a"}}`)
	write("notes.txt", "not a manifest")
	docs, err := Read([]string{dir, "-"}, strings.NewReader("apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: s}\n"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range docs {
		got = append(got, filepath.Base(d.Source)+":"+d.Object.GetName())
	}
	if strings.Join(got, ",") != "a.json:a,b.yaml:b,STDIN:s" {
		t.Errorf("got %v", got)
	}

	if _, err := Read([]string{filepath.Join(dir, "missing.yaml")}, nil); err == nil || !strings.Contains(err.Error(), `the path "`+dir+`/missing.yaml" does not exist`) {
		t.Errorf("missing file: %v", err)
	}

	big := write("big.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: big}\ndata: {k: "+strings.Repeat("A", MaxBytes)+"}\n")
	_, err = Read([]string{big}, nil)
	var tl *TooLargeError
	if !errors.As(err, &tl) || !strings.Contains(err.Error(), "too large") {
		t.Errorf("oversized: %v", err)
	}
	_, err = Read([]string{"-"}, strings.NewReader(strings.Repeat("#", MaxBytes+1)))
	if !errors.As(err, &tl) || tl.Source != "STDIN" {
		t.Errorf("oversized stdin: %v", err)
	}
}

func TestDecodeObject(t *testing.T) {
	t.Parallel()
	obj, err := DecodeObject([]byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"a","image":"x"}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := obj.(*corev1.Pod); !ok || p.Spec.Containers[0].Image != "x" {
		t.Fatalf("got %#v", obj)
	}
	if _, err := DecodeObject([]byte(`{"apiVersion":"v1","kind":"Pod"}{"apiVersion":"v1","kind":"Pod"}`)); err == nil {
		t.Error("two objects accepted")
	}
}

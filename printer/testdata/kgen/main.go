// Command kgen renders pods and events through the real kube-apiserver table
// printers (k8s.io/kubernetes/pkg/printers/internalversion) and writes the
// resulting metav1.Table as JSON, exactly as the apiserver would serve it.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/kubernetes/pkg/api/legacyscheme"
	api "k8s.io/kubernetes/pkg/apis/core"
	_ "k8s.io/kubernetes/pkg/apis/core/install"
	"k8s.io/kubernetes/pkg/printers"
	printersinternal "k8s.io/kubernetes/pkg/printers/internalversion"
)

func main() {
	if err := run(os.Args[1], os.Args[2], os.Args[3]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// run: kind (pods|events), input JSON list file, output Table JSON file.
func run(kind, in, out string) error {
	data, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	gen := printers.NewTableGenerator().With(printersinternal.AddHandlers)
	var internal runtime.Object
	var metas []metav1.ObjectMeta
	switch kind {
	case "pods":
		var l corev1.PodList
		if err := json.Unmarshal(data, &l); err != nil {
			return err
		}
		il := &api.PodList{}
		if err := legacyscheme.Scheme.Convert(&l, il, nil); err != nil {
			return err
		}
		internal = il
		for _, p := range l.Items {
			metas = append(metas, p.ObjectMeta)
		}
	case "events":
		var l corev1.EventList
		if err := json.Unmarshal(data, &l); err != nil {
			return err
		}
		il := &api.EventList{}
		if err := legacyscheme.Scheme.Convert(&l, il, nil); err != nil {
			return err
		}
		internal = il
		for _, p := range l.Items {
			metas = append(metas, p.ObjectMeta)
		}
	}
	now := time.Now()
	t, err := gen.GenerateTable(internal, printers.GenerateOptions{Wide: true})
	if err != nil {
		return err
	}
	t.Kind = "Table"
	t.APIVersion = "meta.k8s.io/v1"
	for i := range t.Rows {
		pom := &metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{Kind: "PartialObjectMetadata", APIVersion: "meta.k8s.io/v1"}, ObjectMeta: metas[i]}
		raw, _ := json.Marshal(pom)
		t.Rows[i].Object = runtime.RawExtension{Raw: raw}
	}
	b, err := json.MarshalIndent(map[string]any{"now": now.UTC().Format(time.RFC3339Nano), "table": t}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(out, b, 0o644)
}

package apiserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/pullwarden/pullwarden/manifest"
	"github.com/pullwarden/pullwarden/printer"
)

// list is the JSON shape of a PodList, SecretList...
type list struct {
	metav1.TypeMeta `json:",inline"`
	Metadata        metav1.ListMeta   `json:"metadata"`
	Items           []manifest.Object `json:"items"`
}

// sendList answers a list in the format the client accepts: JSON, YAML or
// the Table kubectl get asks for.
func (h *Handler) sendList(w http.ResponseWriter, r *http.Request, t target, items []manifest.Object, rv string) {
	a, err := negotiate(r, mediaTable, mediaJSON, mediaYAML)
	if err != nil {
		writeError(w, err)
		return
	}
	if a.media == mediaTable {
		h.sendTable(w, r, t, a, items, rv, false)
		return
	}
	send(w, a, http.StatusOK, list{metav1.TypeMeta{APIVersion: "v1", Kind: t.kind.Name + "List"}, metav1.ListMeta{ResourceVersion: rv}, items})
}

// sendObject answers one object in the format the client accepts.
func (h *Handler) sendObject(w http.ResponseWriter, r *http.Request, t target, code int, obj manifest.Object) {
	a, err := negotiate(r, mediaTable, mediaJSON, mediaYAML)
	if err != nil {
		writeError(w, err)
		return
	}
	if a.media == mediaTable {
		h.sendTable(w, r, t, a, []manifest.Object{obj}, obj.GetResourceVersion(), false)
		return
	}
	manifest.SetTypeMeta(obj)
	send(w, a, code, obj)
}

// sendWritten answers a create, update, patch or apply: err's Status, or
// the stored object with a Warning header (299, as the API server sends
// them and kubectl prints them) for each field the agent does not
// implement.
func (h *Handler) sendWritten(w http.ResponseWriter, r *http.Request, t target, code int, obj manifest.Object, err error) {
	if err != nil {
		writeError(w, err)
		return
	}
	if t.sub == "" {
		warnUnsupported(w, obj)
	}
	h.sendObject(w, r, t, code, obj)
}

// warnUnsupported adds a Warning header for each field of obj the agent
// stores but does not implement. Call it before writing the response.
func warnUnsupported(w http.ResponseWriter, obj manifest.Object) {
	for _, msg := range manifest.Unsupported(obj) {
		w.Header().Add("Warning", warningHeader(msg))
	}
}

// warningHeader formats a Warning header value as the API server does:
// code 299, agent "-", the text as an HTTP quoted-string.
func warningHeader(text string) string {
	var b strings.Builder
	b.WriteString(`299 - "`)
	for _, r := range text {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// send writes v as JSON or YAML.
func send(w http.ResponseWriter, a accepted, code int, v any) {
	if a.media != mediaYAML {
		writeJSON(w, code, v)
		return
	}
	b, err := json.Marshal(v)
	if err == nil {
		b, err = yaml.JSONToYAML(b)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/yaml")
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

// table builds the Table for objs as the API server's printers do, with
// each row's object trimmed to what ?includeObject asks for (default:
// PartialObjectMetadata).
func (h *Handler) table(r *http.Request, t target, a accepted, objs []manifest.Object, rv string, noHeaders bool) (*metav1.Table, error) {
	include := metav1.IncludeObjectPolicy(r.URL.Query().Get("includeObject"))
	switch include {
	case "", metav1.IncludeMetadata, metav1.IncludeObject, metav1.IncludeNone:
	default:
		return nil, statusError(http.StatusBadRequest, metav1.StatusReasonBadRequest, fmt.Sprintf("unrecognized includeObject value: %q", include))
	}
	rows := make([]runtime.Object, len(objs))
	for i, o := range objs {
		rows[i] = o
	}
	tbl, err := printer.ServerTable(t.kind.Resource, rows, h.now(), noHeaders)
	if err != nil {
		return nil, err
	}
	tbl.APIVersion = "meta.k8s.io/" + a.version
	tbl.ResourceVersion = rv
	for i := range tbl.Rows {
		o := objs[i]
		switch include {
		case metav1.IncludeObject:
			manifest.SetTypeMeta(o)
			tbl.Rows[i].Object = runtime.RawExtension{Object: o}
		case metav1.IncludeNone:
			tbl.Rows[i].Object = runtime.RawExtension{}
		default:
			m := &metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{Kind: "PartialObjectMetadata", APIVersion: tbl.APIVersion}}
			m.ObjectMeta = *objectMeta(o)
			tbl.Rows[i].Object = runtime.RawExtension{Object: m}
		}
	}
	return tbl, nil
}

func (h *Handler) sendTable(w http.ResponseWriter, r *http.Request, t target, a accepted, objs []manifest.Object, rv string, noHeaders bool) {
	tbl, err := h.table(r, t, a, objs, rv, noHeaders)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, tbl)
}

// objectMeta returns a copy of o's ObjectMeta.
func objectMeta(o manifest.Object) *metav1.ObjectMeta {
	if a, ok := o.(metav1.ObjectMetaAccessor); ok {
		m := a.GetObjectMeta().(*metav1.ObjectMeta)
		return m.DeepCopy()
	}
	return &metav1.ObjectMeta{Name: o.GetName(), Namespace: o.GetNamespace(), UID: o.GetUID(), ResourceVersion: o.GetResourceVersion()}
}

package apiserver

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"

	"github.com/pullwarden/pullwarden/manifest"
	"github.com/pullwarden/pullwarden/objects"
)

func (h *Handler) serveCollection(w http.ResponseWriter, r *http.Request, t target) {
	switch r.Method {
	case http.MethodGet:
		sel, err := parseSelectors(r)
		if err != nil {
			writeError(w, err)
			return
		}
		if t.watch {
			h.serveWatch(w, r, t, sel)
			return
		}
		items, rv, err := h.store.List(r.Context(), t.kind, t.namespace)
		if err != nil {
			writeError(w, err)
			return
		}
		raw := make([]json.RawMessage, 0, len(items))
		for _, o := range items {
			if !sel.matches(o) {
				continue
			}
			b, err := json.Marshal(o)
			if err != nil {
				writeError(w, err)
				return
			}
			raw = append(raw, b)
		}
		writeJSON(w, http.StatusOK, struct {
			metav1.TypeMeta `json:",inline"`
			Metadata        metav1.ListMeta   `json:"metadata"`
			Items           []json.RawMessage `json:"items"`
		}{metav1.TypeMeta{APIVersion: "v1", Kind: t.kind.Name + "List"}, metav1.ListMeta{ResourceVersion: rv}, raw})
	case http.MethodPost:
		if t.kind.Namespaced && t.namespace == "" {
			methodNotAllowed(w, r)
			return
		}
		obj, err := decodeBody(r, t)
		if err != nil {
			writeError(w, err)
			return
		}
		reply(w, http.StatusCreated, obj, h.store.Create(r.Context(), obj))
	default:
		methodNotAllowed(w, r)
	}
}

func (h *Handler) serveItem(w http.ResponseWriter, r *http.Request, t target) {
	ctx := r.Context()
	switch r.Method {
	case http.MethodGet:
		obj, err := h.store.Get(ctx, t.kind, t.namespace, t.name)
		reply(w, http.StatusOK, obj, err)
	case http.MethodPut:
		obj, err := decodeBody(r, t)
		if err != nil {
			writeError(w, err)
			return
		}
		h.update(ctx, w, t, obj)
	case http.MethodPatch:
		h.servePatch(w, r, t)
	case http.MethodDelete:
		obj, err := h.store.Delete(ctx, t.kind, t.namespace, t.name)
		reply(w, http.StatusOK, obj, err)
	default:
		methodNotAllowed(w, r)
	}
}

// servePatch handles server-side apply (the whole object replaces the
// stored one, as objects.Store.Apply) and merge / strategic merge patches.
func (h *Handler) servePatch(w http.ResponseWriter, r *http.Request, t target) {
	ctx := r.Context()
	ct := strings.TrimSpace(strings.Split(r.Header.Get("Content-Type"), ";")[0])
	switch types.PatchType(ct) {
	case types.ApplyYAMLPatchType, types.ApplyCBORPatchType:
		if t.sub != "" || types.PatchType(ct) == types.ApplyCBORPatchType {
			writeError(w, unsupportedMediaType(ct))
			return
		}
		obj, err := decodeBody(r, t)
		if err != nil {
			writeError(w, err)
			return
		}
		res, err := h.store.Apply(ctx, obj)
		if err != nil {
			writeError(w, err)
			return
		}
		code := http.StatusOK
		if res[0].Action == objects.Created {
			code = http.StatusCreated
		}
		writeJSON(w, code, res[0].Object)
	case types.MergePatchType, types.StrategicMergePatchType:
		patch, err := readBody(r)
		if err != nil {
			writeError(w, err)
			return
		}
		cur, err := h.store.Get(ctx, t.kind, t.namespace, t.name)
		if err != nil {
			writeError(w, err)
			return
		}
		orig, _ := json.Marshal(cur)
		merged, err := strategicpatch.StrategicMergePatch(orig, patch, t.kind.New())
		if err != nil {
			writeError(w, apierrors.NewBadRequest(err.Error()))
			return
		}
		obj, err := manifest.DecodeAs(t.kind, merged)
		if err != nil {
			writeError(w, apierrors.NewBadRequest(err.Error()))
			return
		}
		h.update(ctx, w, t, obj)
	default:
		writeError(w, unsupportedMediaType(ct))
	}
}

// selector is a request's labelSelector and fieldSelector.
type selector struct {
	labels labels.Selector
	fields fields.Selector
}

func parseSelectors(r *http.Request) (selector, error) {
	q := r.URL.Query()
	ls, err := labels.Parse(q.Get("labelSelector"))
	if err != nil {
		return selector{}, apierrors.NewBadRequest(fmt.Sprintf("unable to parse requirement: %v", err))
	}
	fs, err := fields.ParseSelector(q.Get("fieldSelector"))
	if err != nil {
		return selector{}, apierrors.NewBadRequest(err.Error())
	}
	return selector{labels: ls, fields: fs}, nil
}

func (s selector) matches(o manifest.Object) bool {
	if s.labels != nil && !s.labels.Matches(labels.Set(o.GetLabels())) {
		return false
	}
	if s.fields == nil || s.fields.Empty() {
		return true
	}
	set := fields.Set{"metadata.name": o.GetName(), "metadata.namespace": o.GetNamespace()}
	switch v := o.(type) {
	case *corev1.Pod:
		set["spec.nodeName"] = v.Spec.NodeName
		set["status.phase"] = string(v.Status.Phase)
		set["spec.serviceAccountName"] = v.Spec.ServiceAccountName
	case *corev1.Secret:
		set["type"] = string(v.Type)
	case *corev1.Event:
		io := v.InvolvedObject
		set["involvedObject.kind"] = io.Kind
		set["involvedObject.name"] = io.Name
		set["involvedObject.namespace"] = io.Namespace
		set["involvedObject.uid"] = string(io.UID)
		set["involvedObject.fieldPath"] = io.FieldPath
		set["reason"] = v.Reason
		set["type"] = v.Type
	case *corev1.Namespace:
		set["status.phase"] = string(v.Status.Phase)
	}
	return s.fields.Matches(set)
}

// update writes obj, or only its status for the status subresource, and
// answers with the stored result.
func (h *Handler) update(ctx context.Context, w http.ResponseWriter, t target, obj manifest.Object) {
	var err error
	if t.sub == "status" {
		err = h.store.UpdateStatus(ctx, obj)
	} else {
		err = h.store.Update(ctx, obj)
	}
	reply(w, http.StatusOK, obj, err)
}

package apiserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"

	"github.com/pullwarden/pullwarden/manifest"
	"github.com/pullwarden/pullwarden/objects"
)

func (h *Handler) serveCollection(w http.ResponseWriter, r *http.Request, t target) {
	switch r.Method {
	case http.MethodGet:
		sel, err := parseSelectors(r.URL.Query())
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
		kept := items[:0]
		for _, o := range items {
			if sel.matches(o) {
				kept = append(kept, o)
			}
		}
		h.sendList(w, r, t, kept, rv)
	case http.MethodPost:
		if t.kind.Namespaced && t.namespace == "" {
			methodNotAllowed(w, r)
			return
		}
		if err := refuseDryRun(r); err != nil {
			writeError(w, err)
			return
		}
		obj, err := decodeBody(w, r, t)
		if err != nil {
			writeError(w, err)
			return
		}
		h.sendWritten(w, r, t, http.StatusCreated, obj, h.store.Create(r.Context(), obj))
	default:
		methodNotAllowed(w, r)
	}
}

func (h *Handler) serveItem(w http.ResponseWriter, r *http.Request, t target) {
	ctx := r.Context()
	if r.Method != http.MethodGet {
		if err := refuseDryRun(r); err != nil {
			writeError(w, err)
			return
		}
	}
	switch r.Method {
	case http.MethodGet:
		obj, err := h.store.Get(ctx, t.kind, t.namespace, t.name)
		if err != nil {
			writeError(w, err)
			return
		}
		h.sendObject(w, r, t, http.StatusOK, obj)
	case http.MethodPut:
		obj, err := decodeBody(w, r, t)
		if err != nil {
			writeError(w, err)
			return
		}
		h.update(w, r, t, obj)
	case http.MethodPatch:
		h.servePatch(w, r, t)
	case http.MethodDelete:
		opts, err := deleteOptions(r)
		if err != nil {
			writeError(w, err)
			return
		}
		obj, err := h.store.Delete(ctx, t.kind, t.namespace, t.name, opts...)
		if err != nil {
			writeError(w, err)
			return
		}
		h.sendObject(w, r, t, http.StatusOK, obj)
	default:
		methodNotAllowed(w, r)
	}
}

// refuseDryRun answers a dry-run request with 400: the agent cannot run a
// write without storing it, and must not store what was meant as a trial.
func refuseDryRun(r *http.Request) error {
	if len(r.URL.Query()["dryRun"]) == 0 {
		return nil
	}
	return apierrors.NewBadRequest("dryRun is not supported by the pullwarden agent")
}

// servePatch handles server-side apply (the whole object replaces the
// stored one, as objects.Store.Apply), JSON merge patches, strategic merge
// patches and JSON patches.
func (h *Handler) servePatch(w http.ResponseWriter, r *http.Request, t target) {
	ctx := r.Context()
	pt := types.PatchType(mediaType(r))
	if pt == types.ApplyYAMLPatchType {
		if t.sub != "" {
			writeError(w, unsupportedMediaType(acceptedPatchTypes))
			return
		}
		obj, err := decodeBody(w, r, t)
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
		h.sendWritten(w, r, t, code, res[0].Object, nil)
		return
	}
	if pt != types.MergePatchType && pt != types.StrategicMergePatchType && pt != types.JSONPatchType {
		writeError(w, unsupportedMediaType(acceptedPatchTypes))
		return
	}
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
	orig, err := json.Marshal(cur)
	if err != nil {
		writeError(w, err)
		return
	}
	merged, err := applyPatch(pt, orig, patch, t.kind)
	if err != nil {
		writeError(w, err)
		return
	}
	obj, err := manifest.DecodeAs(t.kind, merged)
	if err != nil {
		writeError(w, apierrors.NewBadRequest(err.Error()))
		return
	}
	h.update(w, r, t, obj)
}

// selector is a request's labelSelector and fieldSelector.
type selector struct {
	labels labels.Selector
	fields fields.Selector
}

func parseSelectors(q url.Values) (selector, error) {
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
func (h *Handler) update(w http.ResponseWriter, r *http.Request, t target, obj manifest.Object) {
	var err error
	if t.sub == "status" {
		err = h.store.UpdateStatus(r.Context(), obj)
	} else {
		err = h.store.Update(r.Context(), obj)
	}
	h.sendWritten(w, r, t, http.StatusOK, obj, err)
}

package apiserver

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/pullwarden/pullwarden/manifest"
	"github.com/pullwarden/pullwarden/objects"
)

// BatchApplyPath is pullwarden's own endpoint (not a Kubernetes API path)
// that applies several objects all or nothing: POST a v1 List; every item
// is validated, then all are written in one transaction. A failure of any
// item changes nothing and answers the item's Status, its message
// prefixed with the item's position.
const BatchApplyPath = "/pullwarden/v1/apply"

// batchList is the request: a v1 List of objects.
type batchList struct {
	Items []json.RawMessage `json:"items"`
}

// BatchResult is the answer: what happened to each item, in order.
type BatchResult struct {
	Items []BatchItem `json:"items"`
}

// BatchItem is one applied object and the action, in kubectl's words.
type BatchItem struct {
	Action objects.Action  `json:"action"`
	Object json.RawMessage `json:"object"`
}

func (h *Handler) serveBatchApply(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w, r)
		return
	}
	data, err := readBody(r)
	if err != nil {
		writeError(w, err)
		return
	}
	var list batchList
	if err := json.Unmarshal(data, &list); err != nil {
		writeError(w, apierrors.NewBadRequest("the body is not a List: "+err.Error()))
		return
	}
	if len(list.Items) == 0 {
		writeError(w, apierrors.NewBadRequest("no objects passed to apply"))
		return
	}
	objs := make([]manifest.Object, len(list.Items))
	for i, raw := range list.Items {
		obj, err := manifest.DecodeObject(raw)
		if err != nil {
			writeError(w, apierrors.NewBadRequest(fmt.Sprintf("item %d: %v", i, err)))
			return
		}
		objs[i] = obj
	}
	res, err := h.store.Apply(r.Context(), objs...)
	if err != nil {
		writeError(w, err)
		return
	}
	for _, obj := range objs {
		warnUnsupported(w, obj)
	}
	out := BatchResult{Items: make([]BatchItem, len(res))}
	for i, r := range res {
		b, err := json.Marshal(r.Object)
		if err != nil {
			writeError(w, err)
			return
		}
		out.Items[i] = BatchItem{Action: r.Action, Object: b}
	}
	writeJSON(w, http.StatusOK, out)
}

// ApplyAll applies objs all or nothing through BatchApplyPath and returns
// the stored objects with what happened to each. On failure nothing
// changed; objects.IsObjectError is not available across HTTP, so the
// error is the failing item's API status.
func (c *Client) ApplyAll(ctx context.Context, objs ...manifest.Object) ([]objects.ApplyResult, error) {
	items := make([]any, len(objs))
	for i, o := range objs {
		items[i] = o
	}
	body, err := json.Marshal(map[string]any{"apiVersion": "v1", "kind": "List", "items": items})
	if err != nil {
		return nil, err
	}
	raw, err := rawResult(c.CoreV1().RESTClient().Post().AbsPath(BatchApplyPath).
		SetHeader("Content-Type", "application/json").Body(body).Do(ctx))
	if err != nil {
		return nil, err
	}
	var br BatchResult
	if err := json.Unmarshal(raw, &br); err != nil {
		return nil, err
	}
	out := make([]objects.ApplyResult, len(br.Items))
	for i, it := range br.Items {
		obj, err := manifest.DecodeObject(it.Object)
		if err != nil {
			return nil, err
		}
		out[i] = objects.ApplyResult{Action: it.Action, Object: obj}
	}
	return out, nil
}

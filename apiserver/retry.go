package apiserver

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/pullwarden/pullwarden/manifest"
)

// RetryPath is pullwarden's own endpoint (not a Kubernetes API path) that
// retries the image pulls of pods now: POST a RetryRequest; the answer is
// a RetryResult naming the pods retried. Each pod gets a PullRetried
// event; a pod held by the smart policy pulls at once, one in the
// kubelet's backoff forgets its backoff and pulls at once too.
const RetryPath = "/pullwarden/v1/retry"

// RetryRequest selects the pods to retry in Namespace: the pods Names, or
// every pod (All), or those whose labels match Selector. Namespace ""
// with All or Selector means every namespace.
type RetryRequest struct {
	Namespace string   `json:"namespace,omitempty"`
	Names     []string `json:"names,omitempty"`
	All       bool     `json:"all,omitempty"`
	Selector  string   `json:"selector,omitempty"`
}

// RetryResult names the pods retried ("namespace/name"), sorted.
type RetryResult struct {
	Pods []string `json:"pods"`
}

// Retrier retries a pod's pulls now; the node agent provides it.
type Retrier interface {
	RetryPod(uid string)
}

// WithRetrier sets the Retrier of RetryPath (default: none, 503).
func WithRetrier(r Retrier) Option { return func(h *Handler) { h.retrier = r } }

func (h *Handler) serveRetry(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w, r)
		return
	}
	if h.retrier == nil {
		writeError(w, apierrors.NewServiceUnavailable("retry needs the node agent"))
		return
	}
	data, err := readBody(r)
	if err != nil {
		writeError(w, err)
		return
	}
	var req RetryRequest
	if err := json.Unmarshal(data, &req); err != nil {
		writeError(w, apierrors.NewBadRequest("the body is not a retry request: "+err.Error()))
		return
	}
	pods, err := h.retryTargets(r.Context(), req)
	if err != nil {
		writeError(w, err)
		return
	}
	out := RetryResult{Pods: []string{}}
	for _, p := range pods {
		h.retrier.RetryPod(string(p.UID))
		out.Pods = append(out.Pods, p.Namespace+"/"+p.Name)
	}
	slices.Sort(out.Pods)
	writeJSON(w, http.StatusOK, out)
}

// retryTargets resolves a RetryRequest to pods; a named pod that does not
// exist is NotFound.
func (h *Handler) retryTargets(ctx context.Context, req RetryRequest) ([]*corev1.Pod, error) {
	switch {
	case len(req.Names) > 0 && (req.All || req.Selector != ""):
		return nil, apierrors.NewBadRequest("name pods, or use all or a selector, not both")
	case len(req.Names) == 0 && !req.All && req.Selector == "":
		return nil, apierrors.NewBadRequest("no pods selected: name pods, or use all or a selector")
	}
	if len(req.Names) > 0 {
		ns := req.Namespace
		if ns == "" {
			ns = "default"
		}
		var out []*corev1.Pod
		for _, n := range req.Names {
			o, err := h.store.Get(ctx, manifest.Pod, ns, n)
			if err != nil {
				return nil, err
			}
			if p, ok := o.(*corev1.Pod); ok {
				out = append(out, p)
			}
		}
		return out, nil
	}
	sel := labels.Everything()
	if req.Selector != "" {
		var err error
		if sel, err = labels.Parse(req.Selector); err != nil {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("selector %q: %v", req.Selector, err))
		}
	}
	list, _, err := h.store.List(ctx, manifest.Pod, req.Namespace)
	if err != nil {
		return nil, err
	}
	var out []*corev1.Pod
	for _, o := range list {
		if p, ok := o.(*corev1.Pod); ok && sel.Matches(labels.Set(p.Labels)) {
			out = append(out, p)
		}
	}
	return out, nil
}

// Retry asks the agent to retry the pulls of the pods req selects now.
func (c *Client) Retry(ctx context.Context, req RetryRequest) (RetryResult, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return RetryResult{}, err
	}
	raw, err := rawResult(c.CoreV1().RESTClient().Post().AbsPath(RetryPath).
		SetHeader("Content-Type", "application/json").Body(body).Do(ctx))
	if err != nil {
		return RetryResult{}, err
	}
	var out RetryResult
	err = json.Unmarshal(raw, &out)
	return out, err
}

package node

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/pullwarden/pullwarden/diagnose"
	"github.com/pullwarden/pullwarden/diagnose/kube"
	"github.com/pullwarden/pullwarden/reference"
)

// Images is the body of /images: what the node holds for the pre-pull
// list and for the pull requests it answered.
type Images struct {
	Node     string       `json:"node"`
	Prepull  []ImageState `json:"prepull"`
	Requests []Request    `json:"requests"`
}

// Request is one image of an answered pull request.
type Request struct {
	Namespace string `json:"namespace"`
	Pod       string `json:"pod"`
	Token     string `json:"token"`
	Container string `json:"container"`
	ImageState
}

// Handler serves /healthz, /metrics, /images, /explain/pod/NS/NAME and
// /explain/image?ref=REF.
func (n *Node) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.Handle("GET /metrics", n.metrics.Handler())
	mux.HandleFunc("GET /images", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, n.Images()) })
	mux.HandleFunc("GET /explain/pod/{ns}/{name}", n.explainPod)
	mux.HandleFunc("GET /explain/image", n.explainImage)
	return mux
}

// Images reports what the node holds.
func (n *Node) Images() Images {
	out := Images{Node: n.cfg.NodeName, Prepull: n.prepull.snapshot(), Requests: []Request{}}
	n.mu.Lock()
	for _, a := range n.answered {
		for _, im := range a.Images {
			st := ImageState{Image: im.Image, Digest: im.Digest, State: StatePresent, Reason: im.Reason, Message: im.Message, Since: a.Time}
			if im.Reason != "" {
				st.State = StateFailing
			}
			out.Requests = append(out.Requests, Request{Namespace: a.Namespace, Pod: a.Pod, Token: a.Token, Container: im.Container, ImageState: st})
		}
	}
	n.mu.Unlock()
	slices.SortFunc(out.Requests, func(a, b Request) int {
		return strings.Compare(a.Namespace+"/"+a.Pod+"/"+a.Container, b.Namespace+"/"+b.Pod+"/"+b.Container)
	})
	return out
}

// checker is a fresh diagnose checklist per request (a Checker remembers
// each host's network steps for ever), with the node's registry options.
func (n *Node) checker() *diagnose.Checker {
	rc := diagnose.NewRegistryClient(n.cfg.Registry)
	return diagnose.New(diagnose.Options{Registry: diagnose.FromClient(rc), Clock: n.cfg.Clock})
}

func (n *Node) nodeSource() string {
	if n.cfg.DockerConfig == "" {
		return "none (no --docker-config)"
	}
	return n.cfg.DockerConfig
}

// explainPod runs the checklist for a pod from the node: its network
// path, the pod's credentials and the node's.
func (n *Node) explainPod(w http.ResponseWriter, r *http.Request) {
	res, err := kube.ExplainPod(r.Context(), n.cfg.Client, n.checker(), r.PathValue("ns"), r.PathValue("name"),
		kube.Options{NodeKeyring: n.nodeRing, NodeSource: n.nodeSource()})
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// explainImage runs the checklist for one image with the node's own
// credentials, and says whether containerd holds it.
func (n *Node) explainImage(w http.ResponseWriter, r *http.Request) {
	img := r.URL.Query().Get("ref")
	if img == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "query parameter ref (the image) is required"})
		return
	}
	req := diagnose.Request{Image: img, Keyring: n.nodeRing, Sources: []string{"node credentials: " + n.nodeSource()}}
	if ref, err := reference.Parse(img); err == nil {
		if _, present, err := n.puller.Present(r.Context(), ref); err == nil {
			req.Present = &present
		}
	}
	writeJSON(w, http.StatusOK, n.checker().Check(r.Context(), req))
}

func writeError(w http.ResponseWriter, err error) {
	code := http.StatusInternalServerError
	switch {
	case apierrors.IsNotFound(err):
		code = http.StatusNotFound
	case apierrors.IsForbidden(err):
		code = http.StatusForbidden
	case errors.Is(err, context.Canceled):
		code = http.StatusServiceUnavailable
	}
	writeJSON(w, code, map[string]string{"error": err.Error()})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

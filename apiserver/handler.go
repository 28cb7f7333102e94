package apiserver

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/version"

	"github.com/pullwarden/pullwarden/manifest"
	"github.com/pullwarden/pullwarden/objects"
)

// LogSource streams a container's log; the node agent provides it.
type LogSource interface {
	Logs(ctx context.Context, namespace, pod, container string, follow bool, w io.Writer) error
}

// Option configures New.
type Option func(*Handler)

// WithLogs sets the LogSource for .../pods/{name}/log (default: none, 503).
func WithLogs(l LogSource) Option { return func(h *Handler) { h.logs = l } }

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(h *Handler) { h.log = l } }

// WithVersion sets the gitVersion /version reports (default DefaultVersion).
func WithVersion(v string) Option { return func(h *Handler) { h.version = v } }

// DefaultVersion is the Kubernetes version whose API this serves.
const DefaultVersion = "v1.37.2-pullwarden"

// Handler is the API's http.Handler.
type Handler struct {
	store   *objects.Store
	logs    LogSource
	log     *slog.Logger
	version string
	retrier Retrier
}

// New returns the API handler over store.
func New(store *objects.Store, opts ...Option) *Handler {
	h := &Handler{store: store, log: slog.New(slog.NewTextHandler(io.Discard, nil)), version: DefaultVersion}
	for _, o := range opts {
		o(h)
	}
	return h
}

// target is a parsed API path.
type target struct {
	kind      manifest.Kind
	namespace string // "" for all namespaces or cluster-scoped
	name      string
	sub       string // "", "status" or "log"
	watch     bool
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/healthz", "/livez", "/readyz":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok")
		return
	case "/version":
		writeJSON(w, http.StatusOK, version.Info{Major: "1", Minor: "37", GitVersion: h.version,
			GoVersion: runtime.Version(), Compiler: runtime.Compiler, Platform: runtime.GOOS + "/" + runtime.GOARCH})
		return
	case "/api":
		writeJSON(w, http.StatusOK, metav1.APIVersions{TypeMeta: metav1.TypeMeta{Kind: "APIVersions"}, Versions: []string{"v1"}})
		return
	case "/api/v1":
		writeJSON(w, http.StatusOK, resourceList())
		return
	case "/apis":
		writeJSON(w, http.StatusOK, metav1.APIGroupList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupList", APIVersion: "v1"}})
		return
	case BatchApplyPath:
		h.serveBatchApply(w, r)
		return
	case RetryPath:
		h.serveRetry(w, r)
		return
	}
	t, err := parsePath(r.URL.Path)
	if err != nil {
		writeError(w, err)
		return
	}
	if v := r.URL.Query().Get("watch"); v == "true" || v == "1" {
		t.watch = true
	}
	h.log.Debug("request", "method", r.Method, "path", r.URL.Path)
	switch {
	case t.sub == "log":
		h.serveLog(w, r, t)
	case t.name == "":
		h.serveCollection(w, r, t)
	default:
		h.serveItem(w, r, t)
	}
}

// parsePath maps a URL path to a target.
func parsePath(p string) (target, error) {
	rest, ok := strings.CutPrefix(p, "/api/v1/")
	if !ok {
		return target{}, apierrors.NewNotFound(manifest.Pod.GroupResource(), "")
	}
	var t target
	parts := strings.Split(strings.TrimSuffix(rest, "/"), "/")
	if parts[0] == "watch" {
		t.watch = true
		parts = parts[1:]
	}
	bad := apierrors.NewGenericServerResponse(http.StatusNotFound, "", manifest.Pod.GroupResource(), "", "the server could not find the requested resource", 0, false)
	if len(parts) == 0 || parts[0] == "" {
		return t, bad
	}
	if parts[0] == "namespaces" && len(parts) >= 3 && parts[2] != "status" && parts[2] != "finalize" {
		// /namespaces/{ns}/{resource}[/{name}[/{sub}]]
		k, ok := manifest.KindByResource(parts[2])
		if !ok || !k.Namespaced || len(parts) > 5 {
			return t, bad
		}
		t.kind, t.namespace = k, parts[1]
		if len(parts) >= 4 {
			t.name = parts[3]
		}
		if len(parts) == 5 {
			t.sub = parts[4]
			if t.sub != "status" && !(t.sub == "log" && k.Name == manifest.Pod.Name) {
				return t, bad
			}
		}
		return t, nil
	}
	k, ok := manifest.KindByResource(parts[0])
	if !ok || len(parts) > 3 || (k.Namespaced && len(parts) > 1) {
		return t, bad
	}
	t.kind = k
	if len(parts) >= 2 {
		t.name = parts[1]
	}
	if len(parts) == 3 {
		if parts[2] != "status" {
			return t, bad
		}
		t.sub = "status"
	}
	return t, nil
}

func resourceList() metav1.APIResourceList {
	l := metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"}, GroupVersion: "v1"}
	verbs := metav1.Verbs{"create", "delete", "get", "list", "patch", "update", "watch"}
	for _, k := range manifest.Kinds {
		l.APIResources = append(l.APIResources, metav1.APIResource{Name: k.Resource, Namespaced: k.Namespaced, Kind: k.Name, Verbs: verbs,
			SingularName: strings.ToLower(k.Name)})
		if k.Name == manifest.Pod.Name || k.Name == manifest.Namespace.Name {
			l.APIResources = append(l.APIResources, metav1.APIResource{Name: k.Resource + "/status", Namespaced: k.Namespaced, Kind: k.Name, Verbs: metav1.Verbs{"get", "patch", "update"}})
		}
	}
	l.APIResources = append(l.APIResources, metav1.APIResource{Name: "pods/log", Namespaced: true, Kind: "Pod", Verbs: metav1.Verbs{"get"}})
	return l
}

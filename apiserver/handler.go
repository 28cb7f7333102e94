package apiserver

import (
	"context"
	"github.com/pullwarden/pullwarden/clock"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"time"

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

// WithClock sets the clock table ages are measured from (default the real clock).
func WithClock(c clock.PassiveClock) Option { return func(h *Handler) { h.now = c.Now } }

// DefaultVersion is the Kubernetes version whose API this serves.
const DefaultVersion = "v1.37.2-pullwarden"

// Handler is the API's http.Handler.
type Handler struct {
	store   *objects.Store
	logs    LogSource
	log     *slog.Logger
	version string
	now     func() time.Time
	retrier Retrier
	// agentInfo is what AgentPath answers; nil: NotFound.
	agentInfo *AgentInfo
}

// New returns the API handler over store.
func New(store *objects.Store, opts ...Option) *Handler {
	h := &Handler{store: store, log: slog.New(slog.NewTextHandler(io.Discard, nil)), version: DefaultVersion, now: time.Now}
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
	switch p := r.URL.Path; {
	case p == "/healthz", p == "/livez", p == "/readyz":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok")
		return
	case p == "/version":
		writeJSON(w, http.StatusOK, version.Info{Major: "1", Minor: "37", GitVersion: h.version,
			GoVersion: runtime.Version(), Compiler: runtime.Compiler, Platform: runtime.GOOS + "/" + runtime.GOARCH})
		return
	case p == "/api", p == "/api/":
		serveDiscovery(w, r, true)
		return
	case p == "/apis", p == "/apis/":
		serveDiscovery(w, r, false)
		return
	case p == "/api/v1", p == "/api/v1/":
		writeJSON(w, http.StatusOK, resourceList())
		return
	case p == BatchApplyPath:
		h.serveBatchApply(w, r)
		return
	case p == RetryPath:
		h.serveRetry(w, r)
		return
	case p == AgentPath:
		h.serveAgentInfo(w, r)
		return
	case strings.HasPrefix(p, "/openapi/"):
		serveOpenAPI(w, r)
		return
	case strings.HasPrefix(p, "/apis/"):
		// No API groups are served.
		writeError(w, errNoResource)
		return
	case !strings.HasPrefix(p, "/api/v1/"):
		notFoundPage(w)
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

// errNoResource is the API server's answer for a path under /api or /apis
// that names no served resource.
var errNoResource = statusError(http.StatusNotFound, metav1.StatusReasonNotFound, "the server could not find the requested resource")

// parsePath maps a URL path to a target.
func parsePath(p string) (target, error) {
	rest, ok := strings.CutPrefix(p, "/api/v1/")
	if !ok {
		return target{}, errNoResource
	}
	var t target
	parts := strings.Split(strings.TrimSuffix(rest, "/"), "/")
	if parts[0] == "watch" {
		t.watch = true
		parts = parts[1:]
	}
	bad := errNoResource
	for _, p := range parts {
		if p == "" {
			return t, bad
		}
	}
	if len(parts) == 0 {
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

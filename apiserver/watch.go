package apiserver

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"k8s.io/apimachinery/pkg/watch"

	"github.com/pullwarden/pullwarden/objects"
)

// watchEvent is one line of a watch stream.
type watchEvent struct {
	Type   watch.EventType `json:"type"`
	Object any             `json:"object"`
}

// serveWatch streams the store's events for t as JSON lines. A resourceVersion
// too old to replay ends the stream with an ERROR event carrying the 410
// Status, as the API server does.
func (h *Handler) serveWatch(w http.ResponseWriter, r *http.Request, t target, sel selector) {
	ctx := r.Context()
	if s := r.URL.Query().Get("timeoutSeconds"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, time.Duration(n)*time.Second)
			defer cancel()
		}
	}
	events, err := h.store.Watch(ctx, t.kind, t.namespace, objects.FromResourceVersion(r.URL.Query().Get("resourceVersion")))
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Transfer-Encoding", "chunked")
	if err != nil {
		st := toStatus(err)
		if st.Code != 410 {
			writeError(w, err)
			return
		}
		w.WriteHeader(http.StatusOK)
		_ = json.NewEncoder(w).Encode(watchEvent{Type: watch.Error, Object: st})
		return
	}
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	if flusher != nil {
		flusher.Flush()
	}
	enc := json.NewEncoder(w)
	for e := range events {
		if !sel.matches(e.Object) {
			continue
		}
		if err := enc.Encode(watchEvent{Type: e.Type, Object: e.Object}); err != nil {
			return
		}
		if flusher != nil {
			flusher.Flush()
		}
	}
}

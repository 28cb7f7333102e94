package apiserver

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"k8s.io/apimachinery/pkg/watch"

	"github.com/pullwarden/pullwarden/manifest"
	"github.com/pullwarden/pullwarden/objects"
)

// initialEventsEnd is the annotation of the bookmark that ends the initial
// events of a watch with sendInitialEvents=true.
const initialEventsEnd = "k8s.io/initial-events-end"

// watchEvent is one line of a watch stream.
type watchEvent struct {
	Type   watch.EventType `json:"type"`
	Object any             `json:"object"`
}

// serveWatch streams the store's events for t as JSON lines, or as Tables
// of one row each when kubectl get -w asks for them (the first with the
// column definitions). With sendInitialEvents=true (client-go's watch-list)
// the current objects come first, then a BOOKMARK annotated
// k8s.io/initial-events-end. A resourceVersion too old to replay ends the
// stream with an ERROR event carrying the 410 Status, as the API server does.
func (h *Handler) serveWatch(w http.ResponseWriter, r *http.Request, t target, sel selector) {
	ctx := r.Context()
	a, err := negotiate(r, mediaTable, mediaJSON)
	if err != nil {
		writeError(w, err)
		return
	}
	q := r.URL.Query()
	if s := q.Get("timeoutSeconds"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, time.Duration(n)*time.Second)
			defer cancel()
		}
	}
	rv := q.Get("resourceVersion")
	var initial []manifest.Object
	sendInitial := q.Get("sendInitialEvents") == "true"
	if sendInitial {
		items, listRV, err := h.store.List(ctx, t.kind, t.namespace)
		if err != nil {
			writeError(w, err)
			return
		}
		initial, rv = items, listRV
	}
	events, err := h.store.Watch(ctx, t.kind, t.namespace, objects.FromResourceVersion(rv))
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
	s := &watchStream{h: h, r: r, t: t, a: a, enc: json.NewEncoder(w), flusher: flusher}
	for _, o := range initial {
		if sel.matches(o) && !s.send(watch.Added, o) {
			return
		}
	}
	if sendInitial {
		mark := t.kind.New()
		manifest.SetTypeMeta(mark)
		mark.SetResourceVersion(rv)
		mark.SetAnnotations(map[string]string{initialEventsEnd: "true"})
		if !s.write(watchEvent{Type: watch.Bookmark, Object: mark}) {
			return
		}
	}
	for e := range events {
		if sel.matches(e.Object) && !s.send(e.Type, e.Object) {
			return
		}
	}
}

// watchStream writes the events of one watch.
type watchStream struct {
	h       *Handler
	r       *http.Request
	t       target
	a       accepted
	enc     *json.Encoder
	flusher http.Flusher
	headed  bool
}

// send writes one object event; false when the client is gone.
func (s *watchStream) send(typ watch.EventType, obj manifest.Object) bool {
	if s.a.media != mediaTable {
		return s.write(watchEvent{Type: typ, Object: obj})
	}
	tbl, err := s.h.table(s.r, s.t, s.a, []manifest.Object{obj}, obj.GetResourceVersion(), s.headed)
	if err != nil {
		return s.write(watchEvent{Type: watch.Error, Object: toStatus(err)})
	}
	s.headed = true
	return s.write(watchEvent{Type: typ, Object: tbl})
}

func (s *watchStream) write(e watchEvent) bool {
	if err := s.enc.Encode(e); err != nil {
		return false
	}
	if s.flusher != nil {
		s.flusher.Flush()
	}
	return true
}

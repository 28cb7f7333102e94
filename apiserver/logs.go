package apiserver

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// flushWriter flushes after every write so followed logs arrive at once.
type flushWriter struct {
	w       http.ResponseWriter
	f       http.Flusher
	written bool
}

func (fw *flushWriter) Write(p []byte) (int, error) {
	fw.written = true
	n, err := fw.w.Write(p)
	if fw.f != nil {
		fw.f.Flush()
	}
	return n, err
}

// serveLog picks the container as the API server does and hands the stream
// to the LogSource.
func (h *Handler) serveLog(w http.ResponseWriter, r *http.Request, t target) {
	if r.Method != http.MethodGet {
		methodNotAllowed(w, r)
		return
	}
	obj, err := h.store.Get(r.Context(), t.kind, t.namespace, t.name)
	if err != nil {
		writeError(w, err)
		return
	}
	pod := obj.(*corev1.Pod)
	q := r.URL.Query()
	container := q.Get("container")
	var names []string
	for _, c := range append(append([]corev1.Container{}, pod.Spec.InitContainers...), pod.Spec.Containers...) {
		names = append(names, c.Name)
	}
	switch {
	case container == "" && len(pod.Spec.Containers) == 1:
		container = pod.Spec.Containers[0].Name
	case container == "":
		writeError(w, apierrors.NewBadRequest(fmt.Sprintf("a container name must be specified for pod %s, choose one of: [%s]", pod.Name, strings.Join(names, " "))))
		return
	default:
		found := false
		for _, n := range names {
			found = found || n == container
		}
		if !found {
			writeError(w, apierrors.NewBadRequest(fmt.Sprintf("container %s is not valid for pod %s", container, pod.Name)))
			return
		}
	}
	if h.logs == nil {
		writeError(w, apierrors.NewServiceUnavailable("logs are not available on this agent"))
		return
	}
	follow, _ := strconv.ParseBool(q.Get("follow"))
	w.Header().Set("Content-Type", "text/plain")
	f, _ := w.(http.Flusher)
	fw := &flushWriter{w: w, f: f}
	if err := h.logs.Logs(r.Context(), pod.Namespace, pod.Name, container, follow, fw); err != nil {
		if !fw.written {
			// Nothing streamed yet: the answer is the error (a container
			// that never started has no log), as the API server's.
			writeError(w, err)
			return
		}
		h.log.Debug("log stream ended", "pod", pod.Name, "container", container, "err", err)
	}
}

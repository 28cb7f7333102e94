package agent

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/pullwarden/pullwarden/objects"
	"github.com/pullwarden/pullwarden/reason"
	"github.com/pullwarden/pullwarden/runtime/cri"
)

// logSource serves container logs from the CRI log files.
type logSource struct{ a *Agent }

func (l logSource) Logs(ctx context.Context, namespace, name, container string, follow bool, w io.Writer) error {
	p, err := objects.GetAs[*corev1.Pod](ctx, l.a.objects, namespace, name)
	if err != nil {
		return err
	}
	if err := logStatus(p, container); err != nil {
		return err
	}
	dir := filepath.Join(l.a.cfg.DataDir, "pods", fmt.Sprintf("%s_%s_%s", p.Namespace, p.Name, p.UID), container)
	path, err := latestLog(dir)
	if err != nil {
		return apierrors.NewBadRequest(reason.LogsNoneYet(container, name))
	}
	done := func() bool {
		cur, err := objects.GetAs[*corev1.Pod](ctx, l.a.objects, namespace, name)
		if err != nil || cur.UID != p.UID {
			return true
		}
		for _, s := range append(append([]corev1.ContainerStatus{}, cur.Status.InitContainerStatuses...), cur.Status.ContainerStatuses...) {
			if s.Name == container {
				return s.State.Running == nil
			}
		}
		return true
	}
	return cri.ReadLog(ctx, path, cri.LogOptions{Follow: follow, Done: done}, func(line cri.LogLine) error {
		if _, err := w.Write(line.Content); err != nil {
			return err
		}
		_, err := io.WriteString(w, "\n")
		return err
	})
}

// logStatus is the kubelet's check before it serves a container's log: a
// container that never ran has none, and the answer (BadRequest, as the API
// server relays it) says why, by its waiting reason.
func logStatus(p *corev1.Pod, container string) error {
	var st *corev1.ContainerStatus
	for _, list := range [][]corev1.ContainerStatus{p.Status.InitContainerStatuses, p.Status.ContainerStatuses} {
		for i := range list {
			if list[i].Name == container {
				st = &list[i]
			}
		}
	}
	switch {
	case st == nil:
		return apierrors.NewBadRequest(reason.LogsNotAvailable(container, p.Name))
	case st.State.Running != nil, st.State.Terminated != nil, st.LastTerminationState.Terminated != nil:
		return nil
	case st.State.Waiting != nil:
		return apierrors.NewBadRequest(reason.LogsWaiting(container, p.Name, st.State.Waiting.Reason))
	}
	return apierrors.NewBadRequest(reason.LogsNoneYet(container, p.Name))
}

// latestLog is the log file of the newest attempt, DIR/<n>.log.
func latestLog(dir string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	best, bestN := "", -1
	for _, e := range entries {
		n, err := strconv.Atoi(strings.TrimSuffix(e.Name(), ".log"))
		if err == nil && strings.HasSuffix(e.Name(), ".log") && n > bestN {
			best, bestN = filepath.Join(dir, e.Name()), n
		}
	}
	if best == "" {
		return "", os.ErrNotExist
	}
	return best, nil
}

// Logs writes a container's log to w (the newest attempt); follow keeps
// reading until the container stops running or ctx ends.
func (a *Agent) Logs(ctx context.Context, namespace, name, container string, follow bool, w io.Writer) error {
	return logSource{a}.Logs(ctx, namespace, name, container, follow, w)
}

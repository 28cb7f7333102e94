package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/pullwarden/pullwarden/agent"
	"github.com/pullwarden/pullwarden/manifest"
	"github.com/pullwarden/pullwarden/printer"
)

// podView shows one pod as run-pod runs it: its row when it changes, each
// container's waiting message when it changes, the pod's events as they
// arrive, and the containers' output (prefixed with [CONTAINER] when the
// pod has more than one), as kubectl run --attach shows it.
type podView struct {
	mu      sync.Mutex
	out     io.Writer
	ag      *agent.Agent
	ns      string
	name    string
	prefix  bool
	rows    *printer.PodWatch
	lastRow string
	waiting map[string]string
	events  map[string]int32
	tailing map[string]bool
	logs    sync.WaitGroup
}

func newPodView(out io.Writer, ag *agent.Agent, ns string, p *corev1.Pod) *podView {
	return &podView{
		out: out, ag: ag, ns: ns, name: p.Name,
		prefix:  len(p.Spec.InitContainers)+len(p.Spec.Containers) > 1,
		rows:    printer.NewPodWatch(out, printer.PodOptions{}),
		waiting: map[string]string{}, events: map[string]int32{}, tailing: map[string]bool{},
	}
}

// watch shows the pod until it succeeds or fails (returning it) or ctx
// ends (returning nil).
func (v *podView) watch(ctx context.Context) (*corev1.Pod, error) {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pods, err := v.ag.Objects().Watch(wctx, manifest.Pod, v.ns)
	if err != nil {
		return nil, err
	}
	events, err := v.ag.Objects().Watch(wctx, manifest.Event, v.ns)
	if err != nil {
		return nil, err
	}
	var uid string
	for {
		select {
		case ev, ok := <-pods:
			if !ok {
				return nil, nil
			}
			p, isPod := ev.Object.(*corev1.Pod)
			if !isPod || p.Name != v.name || ev.Type == watch.Deleted {
				continue
			}
			uid = string(p.UID)
			if err := v.pod(ctx, p); err != nil {
				return nil, err
			}
			if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
				return p, nil
			}
		case ev, ok := <-events:
			if !ok {
				return nil, nil
			}
			if e, isEvent := ev.Object.(*corev1.Event); isEvent && uid != "" && string(e.InvolvedObject.UID) == uid {
				v.event(e)
			}
		}
	}
}

// pod prints what changed and starts tailing containers that started.
func (v *podView) pod(ctx context.Context, p *corev1.Pod) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if row := printer.PodStatus(p) + fmt.Sprint(p.Status.ContainerStatuses); row != v.lastRow {
		v.lastRow = row
		if err := v.rows.Print(time.Now(), *p); err != nil {
			return err
		}
	}
	for _, list := range [][]corev1.ContainerStatus{p.Status.InitContainerStatuses, p.Status.ContainerStatuses} {
		for _, cs := range list {
			msg := ""
			if w := cs.State.Waiting; w != nil && w.Message != "" {
				msg = w.Reason + ": " + w.Message
			}
			if msg != v.waiting[cs.Name] {
				v.waiting[cs.Name] = msg
				if msg != "" {
					fmt.Fprintf(v.out, "container %q waiting: %s\n", cs.Name, msg)
				}
			}
			if !v.tailing[cs.Name] && (cs.State.Running != nil || cs.State.Terminated != nil) {
				v.tailing[cs.Name] = true
				v.logs.Add(1)
				go v.tail(context.WithoutCancel(ctx), cs.Name)
			}
		}
	}
	return nil
}

func (v *podView) event(e *corev1.Event) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.events[e.Name] >= e.Count && v.events[e.Name] > 0 {
		return
	}
	v.events[e.Name] = e.Count
	count := ""
	if e.Count > 1 {
		count = fmt.Sprintf(" (x%d)", e.Count)
	}
	fmt.Fprintf(v.out, "event: %s %s %s: %s%s\n", e.Type, e.Reason, e.InvolvedObject.FieldPath, e.Message, count)
}

// tail copies a container's log to the output, line by line, until the
// container stops.
func (v *podView) tail(ctx context.Context, container string) {
	defer v.logs.Done()
	lw := &lineWriter{v: v, prefix: ""}
	if v.prefix {
		lw.prefix = "[" + container + "] "
	}
	if err := v.ag.Logs(ctx, v.ns, v.name, container, true, lw); err != nil {
		v.mu.Lock()
		fmt.Fprintf(v.out, "logs of %q: %v\n", container, err)
		v.mu.Unlock()
	}
	lw.flush()
}

// wait waits for the log tails to reach the end of their logs.
func (v *podView) wait() {
	done := make(chan struct{})
	go func() { v.logs.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
	}
}

// lineWriter writes whole lines to the view's output under its lock.
type lineWriter struct {
	v      *podView
	prefix string
	buf    []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		w.v.mu.Lock()
		fmt.Fprintf(w.v.out, "%s%s\n", w.prefix, w.buf[:i])
		w.v.mu.Unlock()
		w.buf = w.buf[i+1:]
	}
}

func (w *lineWriter) flush() {
	if len(w.buf) > 0 {
		_, _ = w.Write([]byte("\n"))
	}
}

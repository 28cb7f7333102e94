package agent

import (
	"context"
	"encoding/json"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/pullwarden/pullwarden/event"
	"github.com/pullwarden/pullwarden/manifest"
	"github.com/pullwarden/pullwarden/objects"
	"github.com/pullwarden/pullwarden/pod"
	"github.com/pullwarden/pullwarden/reason"
)

// podRunner is what the pod watcher drives: *pod.Manager.
type podRunner interface {
	Update(ctx context.Context, p *corev1.Pod)
	RemovePod(ctx context.Context, uid types.UID, deleted *corev1.Pod)
}

// podWatcher feeds the pod manager from the object store with an
// informer's semantics: list, then watch from the list's resourceVersion;
// when the watch ends, list again and reconcile, so that a pod deleted
// while no watch was open is removed all the same. Status writes (the
// manager's own) do not wake it: only changes of spec and metadata do.
type podWatcher struct {
	objects   *objects.Store
	pods      podRunner
	scheduler *event.Recorder
	node      string
	// remove runs a removal in the background (the agent counts them).
	remove func(uid types.UID, deleted *corev1.Pod)
	// watch opens a watch; default objects.Store.Watch.
	watch func(ctx context.Context, rv string) (<-chan objects.Event, error)
	// seen maps the UIDs given to pods to the fingerprint last given.
	seen map[types.UID]string
}

func (a *Agent) watchPods(ctx context.Context) error {
	w := &podWatcher{objects: a.objects, pods: a.pods, scheduler: a.scheduler, node: a.cfg.NodeName,
		remove: func(uid types.UID, deleted *corev1.Pod) { a.removeInBackground(ctx, uid, deleted) }}
	return w.run(ctx)
}

// removeInBackground removes a pod's containers without holding up the
// watch; Run waits for every removal before it returns.
func (a *Agent) removeInBackground(ctx context.Context, uid types.UID, deleted *corev1.Pod) {
	a.removals.Add(1)
	go func() {
		defer a.removals.Done()
		a.pods.RemovePod(context.WithoutCancel(ctx), uid, deleted)
	}()
}

func (w *podWatcher) run(ctx context.Context) error {
	if w.seen == nil {
		w.seen = map[types.UID]string{}
	}
	if w.watch == nil {
		w.watch = func(ctx context.Context, rv string) (<-chan objects.Event, error) {
			return w.objects.Watch(ctx, manifest.Pod, "", objects.FromResourceVersion(rv))
		}
	}
	for ctx.Err() == nil {
		rv, err := w.relist(ctx)
		if err == nil {
			var ch <-chan objects.Event
			if ch, err = w.watch(ctx, rv); err == nil {
				for ev := range ch {
					w.handle(ctx, ev)
				}
			}
		}
		if err != nil && ctx.Err() == nil {
			// The store is busy or the version is gone: list again soon.
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	// A pod deleted just before the end (its event still queued when ctx
	// ended) is removed all the same: Run waits for the removals.
	w.removeGone(context.WithoutCancel(ctx))
	return ctx.Err()
}

// removeGone removes the pods the manager runs that are no longer stored.
func (w *podWatcher) removeGone(ctx context.Context) {
	list, _, err := w.objects.List(ctx, manifest.Pod, "")
	if err != nil {
		return
	}
	live := map[types.UID]bool{}
	for _, o := range list {
		if p, ok := o.(*corev1.Pod); ok {
			live[p.UID] = true
		}
	}
	for uid := range w.seen {
		if !live[uid] {
			delete(w.seen, uid)
			w.remove(uid, nil)
		}
	}
}

// relist gives the manager every stored pod and removes the pods it runs
// that are no longer stored. It returns the list's resourceVersion.
func (w *podWatcher) relist(ctx context.Context) (string, error) {
	list, rv, err := w.objects.List(ctx, manifest.Pod, "")
	if err != nil {
		return "", err
	}
	live := map[types.UID]bool{}
	for _, o := range list {
		if p, ok := o.(*corev1.Pod); ok {
			live[p.UID] = true
			w.upsert(ctx, p)
		}
	}
	for uid := range w.seen {
		if !live[uid] {
			delete(w.seen, uid)
			w.remove(uid, nil)
		}
	}
	return rv, nil
}

func (w *podWatcher) handle(ctx context.Context, ev objects.Event) {
	p, ok := ev.Object.(*corev1.Pod)
	if !ok {
		return
	}
	switch ev.Type {
	case watch.Added, watch.Modified:
		w.upsert(ctx, p)
	case watch.Deleted:
		if _, known := w.seen[p.UID]; known {
			delete(w.seen, p.UID)
			w.remove(p.UID, p)
		}
	}
}

// upsert hands a new or changed pod to the manager; a pod the store has
// just bound gets the scheduler's Scheduled event.
func (w *podWatcher) upsert(ctx context.Context, p *corev1.Pod) {
	fp := fingerprint(p)
	old, known := w.seen[p.UID]
	if known && old == fp {
		return
	}
	w.seen[p.UID] = fp
	if !known && justBound(p) {
		w.scheduler.Event(event.PodRef(p.Namespace, p.Name, string(p.UID)), reason.TypeNormal,
			reason.EventScheduled, reason.Scheduled(p.Namespace, p.Name, w.node))
	}
	w.pods.Update(ctx, p)
}

func fingerprint(p *corev1.Pod) string {
	b, _ := json.Marshal(struct {
		Spec        corev1.PodSpec
		Labels      map[string]string
		Annotations map[string]string
	}{p.Spec, p.Labels, p.Annotations})
	return string(b)
}

// removeOrphans stops and removes sandboxes whose pod was deleted while the
// agent was not running.
func (a *Agent) removeOrphans(ctx context.Context) error {
	pods, _, err := a.objects.List(ctx, manifest.Pod, "")
	if err != nil {
		return err
	}
	live := map[string]bool{}
	for _, o := range pods {
		live[string(o.GetUID())] = true
	}
	boxes, err := a.runtime.ListPodSandboxes(ctx)
	if err != nil {
		return err
	}
	for _, b := range boxes {
		if !live[b.UID] {
			_ = a.runtime.StopPodSandbox(ctx, b.ID)
			_ = a.runtime.RemovePodSandbox(ctx, b.ID)
		}
	}
	return nil
}

// justBound reports whether the pod was bound to this node by the store
// (the binding's PodScheduled condition) and has no status from a node yet:
// the moment a scheduler writes its Scheduled event. A pod whose manifest
// set nodeName has no binding, and gets no Scheduled event, as in a real
// cluster.
func justBound(p *corev1.Pod) bool {
	c := p.Status.Conditions
	return len(c) == 1 && c[0].Type == corev1.PodScheduled && len(p.Status.ContainerStatuses) == 0 && len(p.Status.InitContainerStatuses) == 0
}

// housekeeping collects expired backoff entries every
// pod.HousekeepingPeriod until ctx ends.
func (a *Agent) housekeeping(ctx context.Context) error {
	for {
		t := a.cfg.Clock.NewTimer(pod.HousekeepingPeriod)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C():
			a.pods.Housekeeping()
		}
	}
}

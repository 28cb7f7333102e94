package agent

import (
	"context"
	"encoding/json"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/pullwarden/pullwarden/event"
	"github.com/pullwarden/pullwarden/manifest"
	"github.com/pullwarden/pullwarden/reason"
)

// watchPods feeds the pod manager from the object store. Status writes
// (the manager's own) do not wake it: only changes of spec and metadata do.
func (a *Agent) watchPods(ctx context.Context) error {
	seen := map[types.UID]string{}
	for ctx.Err() == nil {
		ch, err := a.objects.Watch(ctx, manifest.Pod, "")
		if err != nil {
			return err
		}
		for ev := range ch {
			p, ok := ev.Object.(*corev1.Pod)
			if !ok {
				continue
			}
			switch ev.Type {
			case watch.Added, watch.Modified:
				fp := fingerprint(p)
				if seen[p.UID] == fp {
					continue
				}
				seen[p.UID] = fp
				if ev.Type == watch.Added && justBound(p) {
					a.scheduler.Event(event.PodRef(p.Namespace, p.Name, string(p.UID)), reason.TypeNormal,
						reason.EventScheduled, reason.Scheduled(p.Namespace, p.Name, a.cfg.NodeName))
				}
				a.pods.Update(ctx, p)
			case watch.Deleted:
				delete(seen, p.UID)
				go a.pods.Remove(context.WithoutCancel(ctx), p.UID)
			}
		}
		// The watch ended (the agent fell behind, or ctx ended): watch
		// again; the new watch lists every pod as ADDED.
		seen = map[types.UID]string{}
	}
	return ctx.Err()
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

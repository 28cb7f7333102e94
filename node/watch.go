package node

import (
	"context"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"

	"github.com/pullwarden/pullwarden/podmeta"
)

// watch starts the informers: the pods of the node (field selector
// spec.nodeName) and the pre-pull ConfigMap (field selector
// metadata.name), and waits for their first lists.
func (n *Node) watch(ctx context.Context, wg *sync.WaitGroup) error {
	pods := informers.NewSharedInformerFactoryWithOptions(n.cfg.Client, 0,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("spec.nodeName", n.cfg.NodeName).String()
		}))
	podInf := pods.Core().V1().Pods().Informer()
	if _, err := podInf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { n.podChanged(o) },
		UpdateFunc: func(_, o any) { n.podChanged(o) },
		DeleteFunc: func(o any) { n.podDeleted(o) },
	}); err != nil {
		return err
	}
	cms := informers.NewSharedInformerFactoryWithOptions(n.cfg.Client, 0, informers.WithNamespace(n.cfg.Namespace),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("metadata.name", n.cfg.PrepullConfigMap).String()
		}))
	cmInf := cms.Core().V1().ConfigMaps().Informer()
	if _, err := cmInf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { n.configMapChanged(o) },
		UpdateFunc: func(_, o any) { n.configMapChanged(o) },
		DeleteFunc: func(any) { n.prepull.set(nil, nil) },
	}); err != nil {
		return err
	}
	n.podLister = pods.Core().V1().Pods().Lister()
	pods.Start(ctx.Done())
	cms.Start(ctx.Done())
	wg.Go(func() { <-ctx.Done(); pods.Shutdown(); cms.Shutdown() })
	if !cache.WaitForCacheSync(ctx.Done(), podInf.HasSynced, cmInf.HasSynced) {
		return fmt.Errorf("node: the pod and ConfigMap caches did not sync: %w", context.Cause(ctx))
	}
	n.cfg.Logger.Info("watching the node's pods", "node", n.cfg.NodeName, "prepull", n.cfg.Namespace+"/"+n.cfg.PrepullConfigMap)
	return nil
}

// podChanged queues a pod with a pull-request token not answered yet.
func (n *Node) podChanged(o any) {
	pod, ok := o.(*corev1.Pod)
	if !ok || pod.Spec.NodeName != n.cfg.NodeName {
		return
	}
	if n.pending(pod) != "" {
		key, err := cache.MetaNamespaceKeyFunc(pod)
		if err == nil {
			n.queue.Add(key)
		}
	}
}

// pending is the pod's pull-request token when it still needs an answer.
func (n *Node) pending(pod *corev1.Pod) string {
	token := pod.Annotations[podmeta.PullRequest]
	if token == "" || answeredToken(pod) == token {
		return ""
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if a, ok := n.answered[string(pod.UID)]; ok && a.Token == token {
		return ""
	}
	return token
}

func (n *Node) podDeleted(o any) {
	if d, ok := o.(cache.DeletedFinalStateUnknown); ok {
		o = d.Obj
	}
	if pod, ok := o.(*corev1.Pod); ok {
		n.mu.Lock()
		delete(n.answered, string(pod.UID))
		n.mu.Unlock()
	}
}

// configMapChanged hands the pre-pull list to the pre-puller.
func (n *Node) configMapChanged(o any) {
	cm, ok := o.(*corev1.ConfigMap)
	if !ok || cm.Name != n.cfg.PrepullConfigMap {
		return
	}
	images, secrets := ParsePrepull(cm.Data)
	n.prepull.set(images, secrets)
}

package manifest

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
)

// PrepareForCreate resets what a client may not set on create, as the API
// server's strategies do: a pod starts Pending with its QoS class and
// generation 1, a namespace starts Active. The resourceVersion is cleared
// (the store assigns it).
func PrepareForCreate(obj Object) {
	obj.SetResourceVersion("")
	obj.SetDeletionTimestamp(nil)
	switch o := obj.(type) {
	case *corev1.Pod:
		o.Status = corev1.PodStatus{Phase: corev1.PodPending, QOSClass: podQOS(&o.Spec)}
		o.Generation = 1
	case *corev1.Namespace:
		o.Status = corev1.NamespaceStatus{Phase: corev1.NamespaceActive}
	}
}

// PrepareForUpdate keeps the stored status on a spec update, and counts the
// pod's generation up when its spec changed.
func PrepareForUpdate(newObj, oldObj Object) {
	switch n := newObj.(type) {
	case *corev1.Pod:
		o := oldObj.(*corev1.Pod)
		n.Status = o.Status
		n.Generation = o.Generation
		if !equality.Semantic.DeepEqual(n.Spec, o.Spec) {
			n.Generation++
		}
	case *corev1.Namespace:
		n.Status = oldObj.(*corev1.Namespace).Status
	}
}

// PrepareForUpdateStatus keeps everything but the status from the stored
// object: spec, labels, annotations, finalizers and owners.
func PrepareForUpdateStatus(newObj, oldObj Object) {
	newObj.SetLabels(oldObj.GetLabels())
	newObj.SetAnnotations(oldObj.GetAnnotations())
	newObj.SetFinalizers(oldObj.GetFinalizers())
	newObj.SetOwnerReferences(oldObj.GetOwnerReferences())
	newObj.SetGeneration(oldObj.GetGeneration())
	switch n := newObj.(type) {
	case *corev1.Pod:
		n.Spec = oldObj.(*corev1.Pod).Spec
	case *corev1.Namespace:
		n.Spec = oldObj.(*corev1.Namespace).Spec
	}
}

// AdmitPod is the API server's Priority and ServiceAccount admission for a pod being
// created: serviceAccountName defaults to "default", and when the pod lists
// no imagePullSecrets it gets a copy of sa's (sa may be nil: nothing to
// copy). It runs on create only; later ServiceAccount edits never reach an
// existing pod.
func AdmitPod(pod *corev1.Pod, sa *corev1.ServiceAccount) {
	// The Priority admission: without a PriorityClass (and no global
	// default class) a pod gets priority 0 and may preempt lower ones;
	// kubectl describe then prints "Priority: 0".
	if pod.Spec.Priority == nil && pod.Spec.PriorityClassName == "" {
		zero := int32(0)
		preempt := corev1.PreemptLowerPriority
		pod.Spec.Priority = &zero
		if pod.Spec.PreemptionPolicy == nil {
			pod.Spec.PreemptionPolicy = &preempt
		}
	}
	if pod.Spec.ServiceAccountName == "" {
		pod.Spec.ServiceAccountName = pod.Spec.DeprecatedServiceAccount
	}
	if pod.Spec.ServiceAccountName == "" {
		pod.Spec.ServiceAccountName = DefaultServiceAccountName
	}
	pod.Spec.DeprecatedServiceAccount = pod.Spec.ServiceAccountName
	if sa == nil || len(pod.Spec.ImagePullSecrets) > 0 || len(sa.ImagePullSecrets) == 0 {
		return
	}
	pod.Spec.ImagePullSecrets = append([]corev1.LocalObjectReference(nil), sa.ImagePullSecrets...)
}

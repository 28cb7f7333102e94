package manifest

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Object is one of the typed objects pullwarden serves (*corev1.Pod,
// *corev1.Secret, *corev1.ServiceAccount, *corev1.Namespace, *corev1.Event).
type Object interface {
	metav1.Object
	runtime.Object
}

// Kind describes one served kind.
type Kind struct {
	// Name is the kind as written in manifests, e.g. "Pod".
	Name string
	// Resource is the plural lower-case resource name used in API paths and
	// error messages, e.g. "pods".
	Resource string
	// Namespaced tells whether objects of this kind live in a namespace.
	Namespaced bool
	// New returns a new empty object of this kind.
	New func() Object
	// NewList returns an empty list object (e.g. *corev1.PodList).
	NewList func() runtime.Object
}

// GroupResource is the resource for API errors.
func (k Kind) GroupResource() schema.GroupResource {
	return schema.GroupResource{Resource: k.Resource}
}

// GroupKind is the kind for API errors.
func (k Kind) GroupKind() schema.GroupKind { return schema.GroupKind{Kind: k.Name} }

// The served kinds.
var (
	Pod = Kind{Name: "Pod", Resource: "pods", Namespaced: true,
		New: func() Object { return &corev1.Pod{} }, NewList: func() runtime.Object { return &corev1.PodList{} }}
	Secret = Kind{Name: "Secret", Resource: "secrets", Namespaced: true,
		New: func() Object { return &corev1.Secret{} }, NewList: func() runtime.Object { return &corev1.SecretList{} }}
	ServiceAccount = Kind{Name: "ServiceAccount", Resource: "serviceaccounts", Namespaced: true,
		New: func() Object { return &corev1.ServiceAccount{} }, NewList: func() runtime.Object { return &corev1.ServiceAccountList{} }}
	Namespace = Kind{Name: "Namespace", Resource: "namespaces", Namespaced: false,
		New: func() Object { return &corev1.Namespace{} }, NewList: func() runtime.Object { return &corev1.NamespaceList{} }}
	Event = Kind{Name: "Event", Resource: "events", Namespaced: true,
		New: func() Object { return &corev1.Event{} }, NewList: func() runtime.Object { return &corev1.EventList{} }}
)

// Kinds lists the served kinds in the order a multi-kind apply would want
// them created: namespaces first.
var Kinds = []Kind{Namespace, ServiceAccount, Secret, Pod, Event}

// KindByName returns the kind called name ("Pod").
func KindByName(name string) (Kind, bool) {
	for _, k := range Kinds {
		if k.Name == name {
			return k, true
		}
	}
	return Kind{}, false
}

// KindByResource returns the kind whose resource is r ("pods").
func KindByResource(r string) (Kind, bool) {
	for _, k := range Kinds {
		if k.Resource == r {
			return k, true
		}
	}
	return Kind{}, false
}

// KindOf returns the kind of a typed object.
func KindOf(obj runtime.Object) (Kind, error) {
	switch obj.(type) {
	case *corev1.Pod:
		return Pod, nil
	case *corev1.Secret:
		return Secret, nil
	case *corev1.ServiceAccount:
		return ServiceAccount, nil
	case *corev1.Namespace:
		return Namespace, nil
	case *corev1.Event:
		return Event, nil
	}
	return Kind{}, fmt.Errorf("manifest: unsupported object type %T", obj)
}

// SetTypeMeta fills apiVersion and kind, which typed objects leave empty.
func SetTypeMeta(obj Object) {
	if k, err := KindOf(obj); err == nil {
		obj.GetObjectKind().SetGroupVersionKind(schema.GroupVersionKind{Version: "v1", Kind: k.Name})
	}
}

package event

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// ObjectRef names the object an event is about.
type ObjectRef struct {
	Kind            string // "Pod" when empty
	APIVersion      string // "v1" when empty
	Namespace       string
	Name            string
	UID             string
	ResourceVersion string
	// FieldPath points into the object: "spec.containers{name}" for a
	// container event, empty for an event about the pod itself.
	FieldPath string
}

// PodRef refers to a pod.
func PodRef(namespace, name, uid string) ObjectRef {
	return ObjectRef{Kind: "Pod", APIVersion: "v1", Namespace: namespace, Name: name, UID: uid}
}

// Container returns the reference to the named regular container of the pod.
func (r ObjectRef) Container(name string) ObjectRef {
	r.FieldPath = ContainerFieldPath(name)
	return r
}

// InitContainer returns the reference to the named init container of the pod.
func (r ObjectRef) InitContainer(name string) ObjectRef {
	r.FieldPath = InitContainerFieldPath(name)
	return r
}

// ContainerFieldPath is the kubelet's fieldPath of a regular container.
func ContainerFieldPath(name string) string { return "spec.containers{" + name + "}" }

// InitContainerFieldPath is the kubelet's fieldPath of an init container.
func InitContainerFieldPath(name string) string { return "spec.initContainers{" + name + "}" }

// EphemeralContainerFieldPath is the kubelet's fieldPath of an ephemeral container.
func EphemeralContainerFieldPath(name string) string {
	return "spec.ephemeralContainers{" + name + "}"
}

// ObjectReference converts r to the API type, filling the defaults.
func (r ObjectRef) ObjectReference() corev1.ObjectReference {
	kind, apiVersion := r.Kind, r.APIVersion
	if kind == "" {
		kind = "Pod"
	}
	if apiVersion == "" {
		apiVersion = "v1"
	}
	return corev1.ObjectReference{
		Kind:            kind,
		APIVersion:      apiVersion,
		Namespace:       r.Namespace,
		Name:            r.Name,
		UID:             types.UID(r.UID),
		ResourceVersion: r.ResourceVersion,
		FieldPath:       r.FieldPath,
	}
}

package workload

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/pullwarden/pullwarden/policy"
)

// The places an image comes from in a pod spec.
const (
	InitContainer      = "initContainer"
	Container          = "container"
	EphemeralContainer = "ephemeralContainer"
	ImageVolume        = "imageVolume"
)

// Image is one image a pod pulls.
type Image struct {
	// Name is the container's name, or the volume's for an image volume.
	Name string `json:"name"`
	// Type is InitContainer, Container, EphemeralContainer or ImageVolume.
	Type  string `json:"type"`
	Image string `json:"image"`
	// Policy is the imagePullPolicy as written; "" means the default.
	Policy policy.Policy `json:"policy,omitempty"`
}

// Label is "container app", "initContainer wait", "imageVolume data".
func (i Image) Label() string { return i.Type + " " + i.Name }

// FromPodSpec lists spec's images in the kubelet's order.
func FromPodSpec(spec *corev1.PodSpec) []Image {
	var out []Image
	for _, c := range spec.InitContainers {
		out = append(out, Image{Name: c.Name, Type: InitContainer, Image: c.Image, Policy: policy.Policy(c.ImagePullPolicy)})
	}
	for _, c := range spec.Containers {
		out = append(out, Image{Name: c.Name, Type: Container, Image: c.Image, Policy: policy.Policy(c.ImagePullPolicy)})
	}
	for _, c := range spec.EphemeralContainers {
		out = append(out, Image{Name: c.Name, Type: EphemeralContainer, Image: c.Image, Policy: policy.Policy(c.ImagePullPolicy)})
	}
	for _, v := range spec.Volumes {
		if v.Image != nil {
			out = append(out, Image{Name: v.Name, Type: ImageVolume, Image: v.Image.Reference, Policy: policy.Policy(v.Image.PullPolicy)})
		}
	}
	return out
}

// ServiceAccountName is the pod's service account: "default" when unset.
func ServiceAccountName(spec *corev1.PodSpec) string {
	if spec.ServiceAccountName != "" {
		return spec.ServiceAccountName
	}
	if spec.DeprecatedServiceAccount != "" {
		return spec.DeprecatedServiceAccount
	}
	return "default"
}

// PullSecrets returns the pull secret names a pod ends up with and where
// they come from: the pod's own imagePullSecrets, or, when it names none,
// its service account's (sa may be nil when unknown), as the
// ServiceAccount admission plugin copies them at creation.
func PullSecrets(spec *corev1.PodSpec, sa *corev1.ServiceAccount) (names []string, from string) {
	for _, r := range spec.ImagePullSecrets {
		if r.Name != "" {
			names = append(names, r.Name)
		}
	}
	if len(names) > 0 {
		return names, "the pod's imagePullSecrets"
	}
	if sa == nil {
		return nil, ""
	}
	for _, r := range sa.ImagePullSecrets {
		if r.Name != "" {
			names = append(names, r.Name)
		}
	}
	if len(names) > 0 {
		return names, "service account " + sa.Name + "'s imagePullSecrets"
	}
	return nil, ""
}

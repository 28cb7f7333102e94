package podmeta

import "time"

// Prefix starts every pullwarden annotation and condition type.
const Prefix = "pullwarden.io/"

// ConditionImagePull is the type of the pod condition the controller
// writes: status False with the cause as reason while a container waits on
// its image, True once every image is pulled.
const ConditionImagePull = Prefix + "ImagePull"

// Condition reasons besides the causes (package cause) of a False status.
const (
	// ReasonPulled: every image of the pod is present (status True).
	ReasonPulled = "Pulled"
	// ReasonFixed: the diagnosis passes again; a retry is under way
	// (status False until the kubelet has the image).
	ReasonFixed = "Fixed"
)

// Annotations.
const (
	// RetryPolicy selects the node agent's retry policy for a pod
	// (smart or kubelet).
	RetryPolicy = Prefix + "retry-policy"
	// RecreateOnFix, "true" on a pod or its namespace, allows the
	// controller to delete a controller-owned pod whose cause is fixed
	// when no in-place nudge can start it. Bare pods are never deleted.
	RecreateOnFix = Prefix + "recreate-on-fix"
	// RetryRequested is written by `kubectl pullwarden retry pod` (an
	// RFC 3339 time); the controller retries once per new value, fixed or
	// not.
	RetryRequested = Prefix + "retry-requested"
	// PullRequest is written by the controller: a new token asks the node
	// DaemonSet on the pod's node to pull the pod's waiting images.
	PullRequest = Prefix + "pull-request"
	// PullResult is the node DaemonSet's answer: a JSON PullResultValue.
	PullResult = Prefix + "pull-result"
	// OriginalImages records, as JSON {"container": "image"}, the images
	// as written before the controller pinned them to a digest.
	OriginalImages = Prefix + "original-images"
)

// Components sign events and own field managers.
const (
	ControllerComponent = "pullwarden-controller"
	NodeComponent       = "pullwarden-node"
)

// PullResultValue is the node DaemonSet's answer to a PullRequest token.
type PullResultValue struct {
	// Token is the PullRequest value answered.
	Token string `json:"token"`
	// Node is the node that pulled.
	Node string `json:"node"`
	// Time is when the pulls ended.
	Time time.Time `json:"time"`
	// Images are the outcome per image, in the pod's order.
	Images []ImageResult `json:"images"`
}

// ImageResult is the outcome of one image's pull on the node.
type ImageResult struct {
	// Container is the container (or image volume) the image is for.
	Container string `json:"container"`
	Image     string `json:"image"`
	// Digest is the manifest digest pulled, empty on failure.
	Digest string `json:"digest,omitempty"`
	// Reason and Message are the cause of a failure (package cause).
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
}

// OK is true when every image was pulled.
func (v PullResultValue) OK() bool {
	for _, im := range v.Images {
		if im.Reason != "" {
			return false
		}
	}
	return true
}

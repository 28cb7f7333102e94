package reason

// Event types (corev1.EventTypeNormal / corev1.EventTypeWarning).
const (
	TypeNormal  = "Normal"
	TypeWarning = "Warning"
)

// Container waiting reasons (status.containerStatuses[].state.waiting.reason).
const (
	// ContainerCreating is the default waiting reason of a regular container
	// that has not started yet.
	ContainerCreating = "ContainerCreating"
	// PodInitializing is the default waiting reason of regular containers
	// while init containers have not all completed.
	PodInitializing = "PodInitializing"

	// Image pull outcomes (kubelet images.Err*, cri-api errors).
	ErrImagePull              = "ErrImagePull"
	ImagePullBackOff          = "ImagePullBackOff"
	ErrImageNeverPull         = "ErrImageNeverPull"
	InvalidImageName          = "InvalidImageName"
	ImageInspectError         = "ImageInspectError"
	RegistryUnavailable       = "RegistryUnavailable"
	SignatureValidationFailed = "SignatureValidationFailed"

	// Container lifecycle failures (kubelet kuberuntime / kubecontainer).
	CrashLoopBackOff           = "CrashLoopBackOff"
	CreateContainerConfigError = "CreateContainerConfigError"
	CreateContainerError       = "CreateContainerError"
	PreCreateHookError         = "PreCreateHookError"
	PreStartHookError          = "PreStartHookError"
	PostStartHookError         = "PostStartHookError"
	RunContainerError          = "RunContainerError"
	KillContainerError         = "KillContainerError"
	CreatePodSandboxError      = "CreatePodSandboxError"
	ConfigPodSandboxError      = "ConfigPodSandboxError"
	KillPodSandboxError        = "KillPodSandboxError"
)

// Container terminated reasons (state.terminated.reason), as containerd and
// the kubelet report them.
const (
	// Completed: exit code 0.
	Completed = "Completed"
	// Error: non-zero exit code.
	Error = "Error"
	// OOMKilled: killed by the kernel's OOM killer (exit code 137).
	OOMKilled = "OOMKilled"
	// StartError: the runtime could not start the process (exit code 128).
	StartError = "StartError"
	// ContainerStatusUnknown: the kubelet lost track of the container.
	ContainerStatusUnknown = "ContainerStatusUnknown"
)

// Event reasons (corev1.Event.Reason) written by the kubelet about pods and
// containers, plus the scheduler's Scheduled.
const (
	EventScheduled = "Scheduled"

	// Image events (pkg/kubelet/events).
	EventPulling           = "Pulling"
	EventPulled            = "Pulled"
	EventFailed            = "Failed"
	EventBackOff           = "BackOff"
	EventInspectFailed     = "InspectFailed"
	EventErrImageNeverPull = "ErrImageNeverPull"
	// EventFailedToRetrieveImagePullSecret is written on the pod (no
	// fieldPath) when some imagePullSecrets cannot be read.
	EventFailedToRetrieveImagePullSecret = "FailedToRetrieveImagePullSecret"
	// EventPullRetried (pullwarden, not the kubelet) is written on the pod
	// when a pull waiting on a fix is retried at once because something
	// announced the fix (a secret changed, a push, `pullwarden retry`).
	EventPullRetried = "PullRetried"

	// Container events.
	EventCreated             = "Created"
	EventStarted             = "Started"
	EventKilling             = "Killing"
	EventPreempting          = "Preempting"
	EventExceededGracePeriod = "ExceededGracePeriod"
	EventFailedPostStartHook = "FailedPostStartHook"
	EventFailedPreStopHook   = "FailedPreStopHook"
	EventUnhealthy           = "Unhealthy"

	// Pod events.
	EventFailedKillPod          = "FailedKillPod"
	EventFailedCreatePodSandBox = "FailedCreatePodSandBox"
	EventSandboxChanged         = "SandboxChanged"
	EventNetworkNotReady        = "NetworkNotReady"
	EventFailedSync             = "FailedSync"
	EventFailedMount            = "FailedMount"
	// EventDeadlineExceeded (Normal) is written when the pod ran longer
	// than spec.activeDeadlineSeconds and is being killed.
	EventDeadlineExceeded = "DeadlineExceeded"
)

// Pod status reasons (status.reason) the kubelet sets when it ends a pod.
const (
	// DeadlineExceeded: the pod ran longer than spec.activeDeadlineSeconds.
	DeadlineExceeded = "DeadlineExceeded"
	// DeadlineExceededMessage is status.message and the event message.
	DeadlineExceededMessage = "Pod was active on the node longer than the specified deadline"
)

// kubectl STATUS words (the STATUS column of `kubectl get pods`). Reasons
// above are shown as they are; these are the extra words and the "Init:"
// prefix for init containers.
const (
	StatusPending     = "Pending"
	StatusRunning     = "Running"
	StatusSucceeded   = "Succeeded"
	StatusFailed      = "Failed"
	StatusTerminating = "Terminating"
	StatusUnknown     = "Unknown"
	StatusInitPrefix  = "Init:"
)

// ImagePullQPSExceeded is the error text of a pull refused by the node's
// registryPullQPS token bucket; it becomes the message of an ErrImagePull.
const ImagePullQPSExceeded = "pull QPS exceeded"

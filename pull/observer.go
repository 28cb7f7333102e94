package pull

import "time"

// EventKind says which step of Ensure an Event reports. The kinds are the
// kubelet image manager's events; a face translates them into its own
// vocabulary (the node agent: Kubernetes events with the kubelet's
// reasons and messages from package reason).
type EventKind int

// The kinds of Event, in the order Ensure can report them.
const (
	// EventInvalidName: the reference does not parse (Err). Ensure fails
	// with reason InvalidImageName; no backoff.
	EventInvalidName EventKind = iota + 1
	// EventInspectFailed: the store could not say whether the image is
	// present (Err). Ensure fails with reason ImageInspectError.
	EventInspectFailed
	// EventNeverPull: policy Never and the image is absent, or present but
	// not usable with the caller's credentials (Verified). Ensure fails
	// with reason ErrImageNeverPull.
	EventNeverPull
	// EventPresent: the image is present and used as is. Verified is true
	// when the credential check of KEP-2535 ran (the kubelet's
	// "... and can be accessed by the pod").
	EventPresent
	// EventBackOff: a pull is due but the backoff window of the request's
	// key is open. Ensure fails with reason ImagePullBackOff.
	EventBackOff
	// EventPulling: a pull starts.
	EventPulling
	// EventPullFailed: the pull failed (Err, a *cause.Error). Ensure fails
	// with reason ErrImagePull. Not reported when the caller's context
	// ended.
	EventPullFailed
	// EventPulled: the pull succeeded; Result says what travelled and
	// Pull / Total how long it took.
	EventPulled
)

var kindNames = [...]string{"", "InvalidName", "InspectFailed", "NeverPull", "Present", "BackOff", "Pulling", "PullFailed", "Pulled"}

func (k EventKind) String() string {
	if k <= 0 || int(k) >= len(kindNames) {
		return "EventKind(?)"
	}
	return kindNames[k]
}

// Event is one step of Ensure, for an Observer.
type Event struct {
	Kind EventKind
	// Image is the reference as the caller wrote it.
	Image string
	// Err is the failure (InvalidName, InspectFailed, NeverPull,
	// PullFailed).
	Err error
	// Message is the text to show for Err (PullFailed: the cause's reason,
	// then the error, as the waiting message).
	Message string
	// Verified: the caller's access to a present image was checked
	// (Present, NeverPull).
	Verified bool
	// Result is what the pull did (Pulled).
	Result Result
	// Pull is the time the transfer took, Total the time since Pulling,
	// including the wait for a pull slot or another caller's transfer
	// (Pulled).
	Pull, Total time.Duration
}

// Observer receives the steps of Ensure as they happen, synchronously, on
// the caller's goroutine. It must not block.
type Observer interface {
	Observe(Event)
}

// ObserverFunc adapts a function to Observer.
type ObserverFunc func(Event)

// Observe calls f(e).
func (f ObserverFunc) Observe(e Event) { f(e) }

type nopObserver struct{}

func (nopObserver) Observe(Event) {}

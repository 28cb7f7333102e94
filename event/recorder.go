package event

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pullwarden/pullwarden/clock"
	"github.com/pullwarden/pullwarden/reason"
)

// Sink stores events. Create is called for a new event (count 1, or an
// aggregate's first occurrence); Update for a repeat of a stored event
// (same name, higher count, new lastTimestamp and message). A Sink may set
// fields such as ResourceVersion on the event it is given; the Recorder
// remembers them for the next Update.
type Sink interface {
	Create(ctx context.Context, ev *corev1.Event) error
	Update(ctx context.Context, ev *corev1.Event) error
}

// ErrNotFound is returned (wrapped) by Sink.Update when the event to update
// no longer exists; the Recorder then creates it.
var ErrNotFound = errors.New("event not found")

// ErrInvalidType is returned for an event type other than Normal or Warning.
var ErrInvalidType = errors.New("event type must be Normal or Warning")

// Options configures a Recorder. Zero values take the defaults shown.
type Options struct {
	Sink      Sink               // required
	Component string             // "kubelet"
	Host      string             // the node name
	Clock     clock.PassiveClock // the real clock
	Logger    *slog.Logger       // discards

	CacheSize         int           // DefaultCacheSize (4096)
	SpamBurst         int           // DefaultSpamBurst (25)
	SpamQPS           float64       // DefaultSpamQPS (1/300)
	AggregateMax      int           // DefaultAggregateMax (10)
	AggregateInterval time.Duration // DefaultAggregateInterval (600 s)
}

func (o Options) withDefaults() Options {
	if o.Component == "" {
		o.Component = "kubelet"
	}
	if o.Clock == nil {
		o.Clock = clock.Real()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.CacheSize <= 0 {
		o.CacheSize = DefaultCacheSize
	}
	if o.SpamBurst <= 0 {
		o.SpamBurst = DefaultSpamBurst
	}
	if o.SpamQPS <= 0 {
		o.SpamQPS = DefaultSpamQPS
	}
	if o.AggregateMax <= 0 {
		o.AggregateMax = DefaultAggregateMax
	}
	if o.AggregateInterval <= 0 {
		o.AggregateInterval = DefaultAggregateInterval
	}
	return o
}

// Recorder records events through the kubelet's correlation into a Sink.
// It is safe for concurrent use; events are correlated and written one at a
// time, in call order.
type Recorder struct {
	opts Options
	mu   sync.Mutex
	c    *correlator
}

// NewRecorder returns a Recorder. It panics when opts.Sink is nil.
func NewRecorder(opts Options) *Recorder {
	if opts.Sink == nil {
		panic("event: NewRecorder needs a Sink")
	}
	opts = opts.withDefaults()
	return &Recorder{opts: opts, c: newCorrelator(opts)}
}

// Event records an event like the kubelet's recorder: fire and forget.
// Failures are logged, not returned; use Record to see them.
func (r *Recorder) Event(obj ObjectRef, eventtype, reasonText, message string) {
	if _, err := r.Record(context.Background(), obj, eventtype, reasonText, message); err != nil {
		r.opts.Logger.Warn("event not recorded", "object", obj.Namespace+"/"+obj.Name, "reason", reasonText, "err", err)
	}
}

// Record correlates an event and writes it to the sink. It returns the event
// as written, or nil (and no error) when the spam filter dropped it.
func (r *Recorder) Record(ctx context.Context, obj ObjectRef, eventtype, reasonText, message string) (*corev1.Event, error) {
	if eventtype != reason.TypeNormal && eventtype != reason.TypeWarning {
		return nil, fmt.Errorf("%w: %q", ErrInvalidType, eventtype)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.opts.Clock.Now()
	ev := r.makeEvent(obj, eventtype, reasonText, message, now)
	out := r.c.correlate(ev, now)
	if out == nil {
		return nil, nil
	}
	if err := r.write(ctx, out); err != nil {
		return nil, err
	}
	r.c.updateState(out)
	return out.DeepCopy(), nil
}

func (r *Recorder) write(ctx context.Context, ev *corev1.Event) error {
	if ev.Count > 1 {
		err := r.opts.Sink.Update(ctx, ev)
		if err == nil || !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	ev.ResourceVersion = ""
	return r.opts.Sink.Create(ctx, ev)
}

func (r *Recorder) makeEvent(obj ObjectRef, eventtype, reasonText, message string, now time.Time) *corev1.Event {
	ref := obj.ObjectReference()
	ns := ref.Namespace
	if ns == "" {
		ns = metav1.NamespaceDefault
	}
	t := metav1.NewTime(now)
	return &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{
			Name:      r.c.eventName(ref.Name, now),
			Namespace: ns,
		},
		InvolvedObject:      ref,
		Reason:              reasonText,
		Message:             message,
		FirstTimestamp:      t,
		LastTimestamp:       t,
		Count:               1,
		Type:                eventtype,
		Source:              corev1.EventSource{Component: r.opts.Component, Host: r.opts.Host},
		ReportingController: r.opts.Component,
		ReportingInstance:   r.opts.Host,
	}
}

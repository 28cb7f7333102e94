package event

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/record"
)

// CombinedPrefix starts the message of an aggregated event (client-go's
// EventAggregatorByReasonMessageFunc).
const CombinedPrefix = "(combined from similar events): "

// Correlation defaults, from client-go.
const (
	DefaultCacheSize         = 4096
	DefaultSpamBurst         = 25
	DefaultSpamQPS           = 1.0 / 300.0
	DefaultAggregateMax      = 10
	DefaultAggregateInterval = 600 * time.Second
)

// correlator is client-go's own EventCorrelator (aggregate, observe,
// spam filter), the one the kubelet's recorder uses, on the injected
// clock. The Recorder locks around it.
type correlator struct {
	c         *record.EventCorrelator
	lastNanos int64 // last timestamp used in a name, to keep names unique
}

func newCorrelator(o Options) *correlator {
	return &correlator{c: record.NewEventCorrelatorWithOptions(record.CorrelatorOptions{
		LRUCacheSize:         o.CacheSize,
		BurstSize:            o.SpamBurst,
		QPS:                  float32(o.SpamQPS),
		MaxEvents:            o.AggregateMax,
		MaxIntervalInSeconds: int(o.AggregateInterval / time.Second),
		Clock:                o.Clock,
	})}
}

// correlate returns the event to write (nil when the spam filter drops
// it). now is the clock's time the event was made at.
func (c *correlator) correlate(e *corev1.Event, _ time.Time) *corev1.Event {
	res, err := c.c.EventCorrelate(e)
	if err != nil || res == nil || res.Skip {
		// EventCorrelate fails only to build a patch, which this recorder
		// does not use; the event itself is good.
		if res != nil && res.Event != nil && !res.Skip {
			return res.Event
		}
		return nil
	}
	return res.Event
}

// updateState records what the sink stored (name, resourceVersion, count).
func (c *correlator) updateState(e *corev1.Event) { c.c.UpdateState(e) }

// eventName is client-go's event name, <object name>.<unix nanos in hex>,
// with the nanoseconds bumped when needed so that two events recorded at
// the same instant (common with a fake clock) get distinct names.
func (c *correlator) eventName(object string, t time.Time) string {
	n := max(t.UnixNano(), c.lastNanos+1)
	c.lastNanos = n
	return fmt.Sprintf("%v.%x", object, n)
}

package event

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/time/rate"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// CombinedPrefix starts the message of an aggregated event.
const CombinedPrefix = "(combined from similar events): "

// Correlation defaults, from client-go.
const (
	DefaultCacheSize         = 4096
	DefaultSpamBurst         = 25
	DefaultSpamQPS           = 1.0 / 300.0
	DefaultAggregateMax      = 10
	DefaultAggregateInterval = 600 * time.Second
)

// correlator is client-go's EventCorrelator: aggregate, observe (count),
// filter (spam). Not safe for concurrent use; the Recorder locks around it.
type correlator struct {
	burst       int
	qps         float64
	aggMax      int
	aggInterval time.Duration

	aggregates *lru[*aggregateRecord]
	logs       *lru[eventLog]
	spam       *lru[*rate.Limiter]

	lastNanos int64 // last timestamp used in a name, to keep names unique
}

type aggregateRecord struct {
	messages []string // distinct messages, oldest first
	last     time.Time
}

type eventLog struct {
	count           int32
	firstTimestamp  metav1.Time
	name            string
	resourceVersion string
}

func newCorrelator(o Options) *correlator {
	return &correlator{
		burst:       o.SpamBurst,
		qps:         o.SpamQPS,
		aggMax:      o.AggregateMax,
		aggInterval: o.AggregateInterval,
		aggregates:  newLRU[*aggregateRecord](o.CacheSize),
		logs:        newLRU[eventLog](o.CacheSize),
		spam:        newLRU[*rate.Limiter](o.CacheSize),
	}
}

// eventKey identifies identical events (fieldPath and message included).
func eventKey(e *corev1.Event) string {
	o := e.InvolvedObject
	return strings.Join([]string{e.Source.Component, e.Source.Host, o.Kind, o.Namespace, o.Name,
		o.FieldPath, string(o.UID), o.APIVersion, e.Type, e.Reason, e.Message}, "")
}

// spamKey identifies a source + object + event type (no fieldPath).
func spamKey(e *corev1.Event) string {
	o := e.InvolvedObject
	return strings.Join([]string{e.Source.Component, e.Source.Host, o.Kind, o.Namespace, o.Name,
		string(o.UID), o.APIVersion, e.Type}, "")
}

// aggregateKey groups similar events (everything but message and fieldPath).
func aggregateKey(e *corev1.Event) string {
	o := e.InvolvedObject
	return strings.Join([]string{e.Source.Component, e.Source.Host, o.Kind, o.Namespace, o.Name,
		string(o.UID), o.APIVersion, e.Type, e.Reason, e.ReportingController, e.ReportingInstance}, "")
}

// correlate returns the event to write (nil when the spam filter drops it).
func (c *correlator) correlate(e *corev1.Event, now time.Time) *corev1.Event {
	agg, key := c.aggregate(e, now)
	observed := c.observe(agg, key)
	if !c.allow(observed, now) {
		return nil
	}
	return observed
}

func (c *correlator) aggregate(e *corev1.Event, now time.Time) (*corev1.Event, string) {
	akey := aggregateKey(e)
	rec, ok := c.aggregates.get(akey)
	if !ok || now.Sub(rec.last) > c.aggInterval {
		rec = &aggregateRecord{}
	}
	if !slices.Contains(rec.messages, e.Message) {
		rec.messages = append(rec.messages, e.Message)
	}
	rec.last = now
	c.aggregates.add(akey, rec)
	if len(rec.messages) < c.aggMax {
		return e, eventKey(e)
	}
	rec.messages = rec.messages[1:] // do not grow past the threshold
	t := metav1.NewTime(now)
	return &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{
			Name:      c.eventName(e.InvolvedObject.Name, now),
			Namespace: e.Namespace,
		},
		Count:          1,
		FirstTimestamp: t,
		LastTimestamp:  t,
		InvolvedObject: e.InvolvedObject,
		Message:        CombinedPrefix + e.Message,
		Type:           e.Type,
		Reason:         e.Reason,
		Source:         e.Source,
	}, akey
}

func (c *correlator) observe(e *corev1.Event, key string) *corev1.Event {
	out := e.DeepCopy()
	if last, ok := c.logs.get(key); ok && last.count > 0 {
		out.Name = last.name
		out.ResourceVersion = last.resourceVersion
		out.FirstTimestamp = last.firstTimestamp
		out.Count = last.count + 1
	}
	c.logs.add(key, eventLog{count: out.Count, firstTimestamp: out.FirstTimestamp, name: out.Name, resourceVersion: out.ResourceVersion})
	return out
}

func (c *correlator) allow(e *corev1.Event, now time.Time) bool {
	key := spamKey(e)
	lim, ok := c.spam.get(key)
	if !ok {
		lim = rate.NewLimiter(rate.Limit(c.qps), c.burst)
	}
	c.spam.add(key, lim)
	return lim.AllowN(now, 1)
}

// updateState records what the sink stored (name, resourceVersion, count).
func (c *correlator) updateState(e *corev1.Event) {
	c.logs.add(eventKey(e), eventLog{count: e.Count, firstTimestamp: e.FirstTimestamp, name: e.Name, resourceVersion: e.ResourceVersion})
}

// eventName is client-go's event name, <object name>.<unix nanos in hex>,
// with the nanoseconds bumped when needed so that two events recorded at
// the same instant (common with a fake clock) get distinct names.
func (c *correlator) eventName(object string, t time.Time) string {
	n := max(t.UnixNano(), c.lastNanos+1)
	c.lastNanos = n
	return fmt.Sprintf("%v.%x", object, n)
}

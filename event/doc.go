// Package event records Kubernetes events (corev1.Event) for the node agent
// the way the kubelet does, so `kubectl get events` / `describe` read the
// same: same involved object, same source, same counts and timestamps, and
// the same suppression of repeated and excessive events.
//
// A [Recorder] turns (object, type, reason, message) into a corev1.Event and
// writes it to a [Sink] (the agent's database; later an API server). Before
// writing, it correlates the event with client-go's own EventCorrelator
// (k8s.io/client-go/tools/record, the kubelet's), on the injected clock:
//
//  1. Similar-event aggregation. Events with the same source, involved
//     object (fieldPath excluded), type, reason and reporting
//     controller/instance but different messages are counted per group; a
//     group that has seen 10 distinct messages within 10 minutes of its last
//     event produces one event "(combined from similar events): <message>"
//     that is counted and updated instead of creating more. The group
//     resets when 10 minutes pass without an event. (A full group forgets
//     one message at random, as client-go does.)
//  2. Deduplication. An event identical to an earlier one (same source,
//     involved object including fieldPath, type, reason, message) is written
//     as an Update of the earlier event: same name, count+1, the earlier
//     firstTimestamp, a new lastTimestamp. kubectl's "x5 over 22h" is count
//     over lastTimestamp - firstTimestamp.
//  3. Spam filter. Each source + involved object (fieldPath excluded) +
//     event type has a token bucket of 25 events refilled at 1 event per
//     300 s; an event that finds the bucket empty is dropped (not written).
//     Dropped events still advance the count of step 2, so the next event
//     that passes carries the full count. This is why a pod failing for a
//     long time stops getting events after about 5 minutes, and why recovery
//     may leave no Pulled/Started events (KUBELET_SEMANTICS §10).
//
// Defaults (all from client-go): LRU caches of 4096 keys, spam burst 25 and
// refill 1/300 per second, aggregation after 10 similar events within
// 600 s. The source is component "kubelet" on the node's host name, and
// reportingComponent / reportingInstance repeat them.
//
// Differences from client-go, by design: writes are synchronous (the
// caller's context is passed to the Sink) and not retried; a Sink.Update
// that reports [ErrNotFound] falls back to Create, as client-go does for a
// failed patch. Time comes from the injected clock; event names are
// client-go's <object>.<unix nanos in hex>, bumped by a nanosecond when two
// events of one object are made at the same instant (a fake clock).
//
// Involved objects: [PodRef] for pod events (no fieldPath) and
// [ObjectRef.Container] / [ObjectRef.InitContainer] for container events,
// whose fieldPath is "spec.containers{name}" / "spec.initContainers{name}".
package event

package event_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/pullwarden/pullwarden/clock"
	"github.com/pullwarden/pullwarden/event"
	"github.com/pullwarden/pullwarden/reason"
)

var epoch = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func newRecorder(t *testing.T) (*event.Recorder, *event.Memory, *clock.Fake) {
	t.Helper()
	c := clock.NewFake(epoch)
	m := event.NewMemory()
	r := event.NewRecorder(event.Options{Sink: m, Host: "node01", Clock: c})
	return r, m, c
}

func record(t *testing.T, r *event.Recorder, obj event.ObjectRef, typ, rsn, msg string) *corev1.Event {
	t.Helper()
	ev, err := r.Record(t.Context(), obj, typ, rsn, msg)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestEventShapeAndFieldPath(t *testing.T) {
	t.Parallel()
	pod := event.PodRef("default", "web", "5f2b-uid")
	tests := []struct {
		name      string
		obj       event.ObjectRef
		fieldPath string
	}{
		{"pod", pod, ""},
		{"container", pod.Container("web"), "spec.containers{web}"},
		{"init container", pod.InitContainer("setup"), "spec.initContainers{setup}"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, m, _ := newRecorder(t)
			ev := record(t, r, tc.obj, reason.TypeNormal, reason.EventPulling, reason.PullingImage("nginx:1.27"))
			want := corev1.ObjectReference{Kind: "Pod", APIVersion: "v1", Namespace: "default", Name: "web", UID: "5f2b-uid", FieldPath: tc.fieldPath}
			if ev.InvolvedObject != want {
				t.Fatalf("involvedObject %+v, want %+v", ev.InvolvedObject, want)
			}
			if ev.Source != (corev1.EventSource{Component: "kubelet", Host: "node01"}) ||
				ev.ReportingController != "kubelet" || ev.ReportingInstance != "node01" {
				t.Fatalf("source %+v reporting %q/%q", ev.Source, ev.ReportingController, ev.ReportingInstance)
			}
			if ev.Namespace != "default" || ev.Name != fmt.Sprintf("web.%x", epoch.UnixNano()) {
				t.Fatalf("name %s/%s", ev.Namespace, ev.Name)
			}
			if ev.Count != 1 || !ev.FirstTimestamp.Time.Equal(epoch) || !ev.LastTimestamp.Time.Equal(epoch) {
				t.Fatalf("count %d first %v last %v", ev.Count, ev.FirstTimestamp, ev.LastTimestamp)
			}
			if ev.Type != "Normal" || ev.Reason != "Pulling" || ev.Message != `Pulling image "nginx:1.27"` {
				t.Fatalf("type/reason/message %q %q %q", ev.Type, ev.Reason, ev.Message)
			}
			if got := m.List(); len(got) != 1 || got[0].ResourceVersion == "" {
				t.Fatalf("sink holds %+v", got)
			}
		})
	}
}

func TestEmptyNamespaceDefaults(t *testing.T) {
	t.Parallel()
	r, _, _ := newRecorder(t)
	ev := record(t, r, event.ObjectRef{Name: "p", UID: "u"}, reason.TypeNormal, "X", "y")
	if ev.Namespace != "default" || ev.InvolvedObject.Kind != "Pod" || ev.InvolvedObject.APIVersion != "v1" {
		t.Fatalf("%s %+v", ev.Namespace, ev.InvolvedObject)
	}
}

func TestInvalidType(t *testing.T) {
	t.Parallel()
	r, m, _ := newRecorder(t)
	_, err := r.Record(t.Context(), event.PodRef("ns", "p", "u"), "Error", "X", "y")
	if !errors.Is(err, event.ErrInvalidType) {
		t.Fatalf("err = %v", err)
	}
	r.Event(event.PodRef("ns", "p", "u"), "Bogus", "X", "y") // logged, not written
	if len(m.List()) != 0 {
		t.Fatal("invalid event written")
	}
}

// TestIdenticalEventsAggregate: kubectl's "x5 over 4m" comes from count,
// firstTimestamp and lastTimestamp of one stored event.
func TestIdenticalEventsAggregate(t *testing.T) {
	t.Parallel()
	r, m, c := newRecorder(t)
	ctr := event.PodRef("default", "app", "u1").Container("app")
	var first *corev1.Event
	for i := range 5 {
		ev := record(t, r, ctr, reason.TypeNormal, reason.EventBackOff, reason.BackOffPulling("app:missing"))
		if i == 0 {
			first = ev
		}
		if ev.Name != first.Name || ev.Count != int32(i+1) {
			t.Fatalf("occurrence %d: name %s count %d", i+1, ev.Name, ev.Count)
		}
		c.Step(time.Minute)
	}
	got := m.List()
	if len(got) != 1 {
		t.Fatalf("%d events stored, want 1", len(got))
	}
	ev := got[0]
	if ev.Count != 5 || !ev.FirstTimestamp.Time.Equal(epoch) || !ev.LastTimestamp.Time.Equal(epoch.Add(4*time.Minute)) {
		t.Fatalf("count %d first %v last %v; want x5 over 4m", ev.Count, ev.FirstTimestamp, ev.LastTimestamp)
	}
	if creates, updates := m.Writes(); creates != 1 || updates != 4 {
		t.Fatalf("creates %d updates %d", creates, updates)
	}

	// Another container of the same pod is a different event.
	other := record(t, r, event.PodRef("default", "app", "u1").Container("sidecar"), reason.TypeNormal, reason.EventBackOff, reason.BackOffPulling("app:missing"))
	if other.Count != 1 || other.Name == first.Name {
		t.Fatalf("sidecar event merged: %+v", other)
	}
}

func TestUpdateOfDeletedEventRecreates(t *testing.T) {
	t.Parallel()
	r, m, c := newRecorder(t)
	pod := event.PodRef("ns", "p", "u")
	ev := record(t, r, pod, reason.TypeWarning, reason.EventFailed, "Error: ErrImagePull")
	m.Delete(ev.Namespace, ev.Name)
	c.Step(time.Second)
	again := record(t, r, pod, reason.TypeWarning, reason.EventFailed, "Error: ErrImagePull")
	if again.Name != ev.Name || again.Count != 2 || !again.FirstTimestamp.Time.Equal(epoch) {
		t.Fatalf("recreated %+v", again)
	}
	if got := m.List(); len(got) != 1 || got[0].Count != 2 {
		t.Fatalf("sink %+v", got)
	}
}

type failingSink struct{ err error }

func (f failingSink) Create(context.Context, *corev1.Event) error { return f.err }
func (f failingSink) Update(context.Context, *corev1.Event) error { return f.err }

func TestSinkErrorReturned(t *testing.T) {
	t.Parallel()
	boom := errors.New("disk full")
	r := event.NewRecorder(event.Options{Sink: failingSink{boom}, Clock: clock.NewFake(epoch)})
	if _, err := r.Record(t.Context(), event.PodRef("ns", "p", "u"), reason.TypeNormal, "X", "y"); !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
}

func TestSimilarEventsCombine(t *testing.T) {
	t.Parallel()
	r, m, c := newRecorder(t)
	pod := event.PodRef("ns", "p", "u")
	for i := 1; i <= 9; i++ {
		ev := record(t, r, pod.Container(fmt.Sprintf("c%d", i)), reason.TypeWarning, reason.EventFailed, fmt.Sprintf("Failed to pull image \"img%d\": boom", i))
		if strings.HasPrefix(ev.Message, event.CombinedPrefix) || ev.Count != 1 {
			t.Fatalf("event %d combined too early: %+v", i, ev)
		}
		c.Step(time.Second)
	}
	tenth := record(t, r, pod.Container("c10"), reason.TypeWarning, reason.EventFailed, `Failed to pull image "img10": boom`)
	if tenth.Message != `(combined from similar events): Failed to pull image "img10": boom` || tenth.Count != 1 {
		t.Fatalf("10th similar event: %q count %d", tenth.Message, tenth.Count)
	}
	if tenth.InvolvedObject.FieldPath != "spec.containers{c10}" {
		t.Fatalf("combined fieldPath %q", tenth.InvolvedObject.FieldPath)
	}
	c.Step(time.Second)
	eleventh := record(t, r, pod.Container("c11"), reason.TypeWarning, reason.EventFailed, `Failed to pull image "img11": boom`)
	if eleventh.Name != tenth.Name || eleventh.Count != 2 || eleventh.Message != `(combined from similar events): Failed to pull image "img11": boom` ||
		!eleventh.FirstTimestamp.Equal(&tenth.FirstTimestamp) {
		t.Fatalf("11th similar event: %+v", eleventh)
	}
	if got := len(m.List()); got != 10 {
		t.Fatalf("%d events stored, want 9 single + 1 combined", got)
	}

	// A different reason is a different group.
	ev := record(t, r, pod, reason.TypeWarning, reason.EventInspectFailed, "x")
	if strings.HasPrefix(ev.Message, event.CombinedPrefix) {
		t.Fatal("other reason combined")
	}

	// After 10 quiet minutes the group starts over.
	c.Step(600*time.Second + time.Millisecond)
	fresh := record(t, r, pod, reason.TypeWarning, reason.EventFailed, `Failed to pull image "img12": boom`)
	if strings.HasPrefix(fresh.Message, event.CombinedPrefix) {
		t.Fatalf("group did not reset after 10 minutes: %q", fresh.Message)
	}
}

func TestSpamFilter(t *testing.T) {
	t.Parallel()
	r, m, c := newRecorder(t)
	pod := event.PodRef("ns", "p", "u")
	ctr := pod.Container("app")
	msg := reason.BackOffPulling("app:missing")
	for i := 1; i <= 30; i++ {
		ev := record(t, r, ctr, reason.TypeNormal, reason.EventBackOff, msg)
		if i <= 25 && (ev == nil || ev.Count != int32(i)) {
			t.Fatalf("event %d dropped or miscounted: %+v", i, ev)
		}
		if i > 25 && ev != nil {
			t.Fatalf("event %d passed an empty bucket", i)
		}
	}
	// The bucket is per source+object+type: other pods, Warning events of
	// this pod, and other containers' Warnings still pass; other containers'
	// Normal events of the same pod share the empty bucket.
	if record(t, r, event.PodRef("ns", "q", "u2"), reason.TypeNormal, reason.EventBackOff, msg) == nil {
		t.Fatal("another pod was filtered")
	}
	if record(t, r, ctr, reason.TypeWarning, reason.EventFailed, "Error: ImagePullBackOff") == nil {
		t.Fatal("Warning filtered by the Normal bucket")
	}
	if record(t, r, pod.Container("sidecar"), reason.TypeNormal, reason.EventPulled, reason.AlreadyPresent("s:1")) != nil {
		t.Fatal("same pod, other container, same type must share the bucket")
	}

	c.Step(299 * time.Second)
	if record(t, r, ctr, reason.TypeNormal, reason.EventBackOff, msg) != nil {
		t.Fatal("token refilled before 300 s")
	}
	c.Step(time.Second)
	ev := record(t, r, ctr, reason.TypeNormal, reason.EventBackOff, msg)
	if ev == nil {
		t.Fatal("no token after 300 s")
	}
	// Dropped occurrences were still counted: 30 + 1 (at 299 s) + this one.
	if ev.Count != 32 || !ev.LastTimestamp.Time.Equal(epoch.Add(300*time.Second)) || !ev.FirstTimestamp.Time.Equal(epoch) {
		t.Fatalf("after refill: count %d first %v last %v", ev.Count, ev.FirstTimestamp, ev.LastTimestamp)
	}
	if record(t, r, ctr, reason.TypeNormal, reason.EventBackOff, msg) != nil {
		t.Fatal("one refill allowed two events")
	}
	for _, stored := range m.List() {
		if stored.InvolvedObject.FieldPath == "spec.containers{app}" && stored.Type == "Normal" && stored.Count != 32 {
			t.Fatalf("stored count %d, want 32", stored.Count)
		}
	}
}

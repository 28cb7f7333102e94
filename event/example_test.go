package event_test

import (
	"fmt"
	"time"

	"github.com/pullwarden/pullwarden/clock"
	"github.com/pullwarden/pullwarden/event"
	"github.com/pullwarden/pullwarden/reason"
)

func ExampleRecorder() {
	c := clock.NewFake(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC))
	sink := event.NewMemory()
	rec := event.NewRecorder(event.Options{Sink: sink, Host: "node01", Clock: c})

	ctr := event.PodRef("default", "web", "5f2b").Container("web")
	for range 3 {
		rec.Event(ctr, reason.TypeNormal, reason.EventBackOff, reason.BackOffPulling("nginx:9.9"))
		c.Step(time.Minute)
	}
	for _, ev := range sink.List() {
		fmt.Printf("%s %s x%d over %v: %s (%s)\n", ev.Type, ev.Reason, ev.Count,
			ev.LastTimestamp.Sub(ev.FirstTimestamp.Time), ev.Message, ev.InvolvedObject.FieldPath)
	}
	// Output: Normal BackOff x3 over 2m0s: Back-off pulling image "nginx:9.9" (spec.containers{web})
}

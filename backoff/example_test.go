package backoff_test

import (
	"fmt"
	"time"

	"github.com/pullwarden/pullwarden/backoff"
	"github.com/pullwarden/pullwarden/clock"
	"github.com/pullwarden/pullwarden/reason"
)

func ExampleBackoff() {
	c := clock.NewFake(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC))
	b := backoff.NewImagePull(c)
	key := backoff.Key("5f2b", "nginx:9.9")

	b.Fail(key, reason.ErrImagePull, "not found")
	c.Step(5 * time.Second)
	if b.InBackOff(key) {
		lastReason, lastMessage, _ := b.Last(key)
		fmt.Println(reason.BackOffPullingMessage("nginx:9.9", lastReason, lastMessage))
	}
	c.Step(5 * time.Second)
	fmt.Println("in backoff after 10s:", b.InBackOff(key))
	fmt.Println("next window:", b.Fail(key, reason.ErrImagePull, "not found"))
	// Output:
	// Back-off pulling image "nginx:9.9": ErrImagePull: not found
	// in backoff after 10s: false
	// next window: 20s
}

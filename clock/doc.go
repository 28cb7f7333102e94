// Package clock is pullwarden's one way to tell time.
//
// Everything that waits, backs off, re-syncs or stamps an event takes a
// [Clock] instead of calling time.Now or time.Sleep, so tests can step time
// instead of sleeping. Options that inject time take a [PassiveClock] or a
// [Clock] (pull.WithClock, objects.WithClock, event.Options.Clock,
// pod.Config.Clock), never a bare func() time.Time.
//
// The package does not reimplement a clock: it re-exports the interfaces of
// k8s.io/utils/clock, the clock the kubelet and client-go themselves use
// (flowcontrol.Backoff, the event correlator, the pod workers). Using the
// same interfaces means a pullwarden clock can be handed straight to any
// Kubernetes library that wants one, and the fake behaves exactly like the
// one the kubelet's own tests use.
//
//   - [Clock] (= k8s.io/utils/clock.Clock): Now, Since, After, NewTimer,
//     Sleep, Tick.
//   - [PassiveClock]: Now and Since only, for code that only reads the time
//     (backoff bookkeeping, event timestamps).
//   - [Real] returns the wall clock.
//   - [Fake] (= k8s.io/utils/clock/testing.FakeClock) only moves when a test
//     calls Step(d) or SetTime(t). Every timer, After channel, ticker or
//     AfterFunc whose deadline is reached fires synchronously inside that
//     call, in registration order, so tests are deterministic. Waiters() /
//     HasWaiters() let a test wait until a goroutine has armed its timer
//     before stepping. After and timer channels have a buffer of one, like
//     time.Timer.
package clock

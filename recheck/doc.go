// Package recheck schedules the cheap re-checks of pulls that wait for a
// person to fix something, and the probe of a registry that stopped
// answering.
//
// A Schedule holds keys (an image and the credential it is pulled with,
// for the re-check; a registry host, for the probe), each with the
// waiters (pods) that need it. One check serves every waiter of a key:
// 200 pods on a missing tag cost one manifest HEAD per due time, not 200.
//
//   - Register(key, waiter): the first waiter schedules the key's first
//     check one Initial (2s) from now; later waiters share it.
//   - Run(ctx, check): calls check(ctx, key, waiters) when a key is due,
//     one goroutine per key, never two checks of a key at once; after
//     each check the interval grows by Factor (2) up to Max (30s):
//     2, 4, 8, 16, 30, 30 ... s. Unregister the waiters when the image is
//     pulled (the key goes with its last waiter).
//   - Reset(key): a trigger (a secret changed, a push announced, `retry
//     pod`) makes the key due at once; the next check then comes Initial
//     later and grows again. A Reset during a running check is followed by
//     another check as soon as it returns (it may have raced the fix).
//   - Due(key) and Checked(key) give the same schedule to callers that
//     poll instead of using Run.
//
// Every interval is shortened by a random fraction below Jitter (20%), so
// keys registered together (pods created together) drift apart and never
// wait longer than the cap. Probe() gives the options of the
// registry-back probe: 500ms growing to 1s. A check costs a token of the
// registry's bucket when its HEAD goes through package throttle, so the
// re-checks of all images stay within the registry's budget.
//
// Time comes from an injected clock (package clock); tests step a fake.
package recheck

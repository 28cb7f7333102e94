// Package backoff holds the kubelet's two per-key exponential backoffs, with
// the kubelet's numbers in one place, time taken from an injected clock, and
// state that can be saved and restored (the node agent keeps it in bbolt so
// a restart does not forget a crash loop or a failing pull).
//
// # Image pull backoff ([NewImagePull], [Backoff])
//
// Faithful to the kubelet's image manager (pkg/kubelet/images, backed by
// client-go's flowcontrol.Backoff):
//
//   - Keyed by [Key](podUID, image) = "<podUID>_<image as written in the
//     spec>". A new pod (new UID) starts fresh.
//   - [Backoff.Next] records a failed pull at the end of the pull: the first
//     failure sets the window to Initial (10 s), each further failure doubles
//     it up to Max (300 s), no jitter: 10, 20, 40, 80, 160, 300, 300, ...
//   - [Backoff.IsInBackOffSinceUpdate](key, now) (also spelled
//     IsInBackOffSince, and [Backoff.InBackOff] with the clock's now) is true
//     while now - lastFailure < window. There is no timer: the caller retries
//     at its next sync after the window.
//   - An entry whose last failure is more than Expiry (2 x Max = 600 s) old
//     counts as absent: it is not in backoff and the next failure starts
//     again at 10 s. [Backoff.GC] deletes such entries; the kubelet calls it
//     after each successful pull only.
//   - [Backoff.Fail] is Next plus remembering the failure's reason and
//     message, which the kubelet shows in the ImagePullBackOff waiting
//     message (see reason.BackOffPullingMessage) and [Backoff.Last] returns.
//   - [Backoff.Reset] forgets a key. The kubelet never does this (a fixed
//     secret or a newly pushed tag still waits out the window); pullwarden's
//     improved mode calls it when the cause of the failure is known fixed.
//
// # Crash-loop backoff ([NewCrashLoop], [CrashLoop])
//
// Faithful to the kubelet's container restart backoff (kuberuntime
// doBackOff): keyed per pod and container ([CrashLoopKey]); measured from the
// moment the container last exited: [CrashLoop.InBackOff](key, finishedAt)
// is true while now - finishedAt < window. The first exit restarts at once
// and arms 10 s; later exits wait 10, 20, 40, 80, 160, 300, 300 s. When the
// container exits more than 10 minutes (600 s) after the last restart
// decision, i.e. it ran for 10 minutes, the entry is reset and the window
// starts again at 10 s.
//
// # Persistence
//
// [Backoff.Snapshot] returns every entry as an [Entry] (JSON-tagged, sorted
// by key); [Backoff.Restore] replaces the state with saved entries. Entries
// keep absolute times, so time that passed while the agent was down counts.
//
// # Identical to the kubelet, tested
//
// The kubelet's backoffs are client-go's util/flowcontrol.Backoff without
// jitter. TestMatchesClientGoBackoff runs random operation sequences (Next
// with past, present and future event times, GC, Reset, clock steps around
// the windows and the expiry) on this package and on flowcontrol.Backoff
// over one fake clock and requires the same answer to Get,
// IsInBackOffSinceUpdate and (for CrashLoop) IsInBackOffSince after every
// step.
//
// All methods are safe for concurrent use.
package backoff

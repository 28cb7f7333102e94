// Package objects is the node agent's durable store of Kubernetes objects
// (Pod, Secret, ServiceAccount, Namespace, Event) in one bbolt file, with the
// API server's semantics for the parts pullwarden uses.
//
// Every write is one bbolt transaction, synced to disk before the call
// returns: an acknowledged write survives a crash (kill -9 included), and a
// failed write leaves nothing behind. Apply validates all of its objects
// first and then writes all of them in one transaction, so a bad document in
// a multi-document apply changes nothing.
//
// Semantics, as the API server:
//   - Create defaults the object (manifest.Default), resets what a client may
//     not set (manifest.PrepareForCreate), runs the ServiceAccount admission
//     for pods (manifest.AdmitPod: the pod's ServiceAccount must exist, except
//     "default"), validates, and sets a random UUID, creationTimestamp and a
//     resourceVersion. The object's namespace must exist (NotFound otherwise).
//     Creating a namespace also creates its "default" ServiceAccount; the
//     "default" namespace exists from Open on.
//   - resourceVersion comes from one counter in the database and only grows.
//     Update and UpdateStatus with a resourceVersion other than the stored one
//     fail with a Conflict error; an empty one updates unconditionally. An
//     update that changes nothing writes nothing and keeps the version.
//   - Update keeps the stored status; UpdateStatus keeps everything but the
//     status. A pod's spec may change only where Kubernetes allows it (images,
//     activeDeadlineSeconds, terminationGracePeriodSeconds, added tolerations).
//   - Delete removes the object at once (there is no graceful deletion: the
//     pod lifecycle reacts to the DELETED watch event) and returns it. Deleting
//     a namespace deletes everything in it.
//   - Apply creates what is missing and replaces the spec, labels and
//     annotations of what exists, keeping uid, creationTimestamp, status and
//     what admission set (a pod's imagePullSecrets, serviceAccountName and
//     nodeName when the manifest leaves them empty).
//
// Errors are *apierrors.StatusError values with the API server's messages
// and reasons: test them with apierrors.IsNotFound, IsAlreadyExists,
// IsConflict, IsInvalid, IsForbidden, IsResourceExpired.
//
// Watch streams ADDED, MODIFIED and DELETED events of one kind (and
// namespace, or all) from the store's own writes. Without a resourceVersion
// it starts with an ADDED event per existing object; with one it replays the
// recent writes after it (the last 1024 are kept in memory) or fails with
// ResourceExpired (410) when they are gone. A watcher that falls 10000 events
// behind has its channel closed: list again and re-watch.
//
// PutState and GetState keep other agent state (such as pull backoff) in a
// bucket of their own, with the same durability.
package objects

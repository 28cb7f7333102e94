// Package pull is the image manager: it turns "make this image available"
// into policy decisions, credential attempts and registry transfers, and
// records the result in the store.
//
// For one request the Puller
//  1. parses and normalises the reference (reference.Parse; a bad one is
//     cause.InvalidImageName);
//  2. applies the pull policy (an empty policy is defaulted the way the API
//     server does) against the store: IfNotPresent and Never use a complete
//     image already present, Never fails with cause.ErrImageNeverPull when
//     it is absent, Always always asks the registry (with the layers present
//     only the manifest travels);
//  3. tries the credentials that match the image, most specific first, pod
//     secrets before node credentials. The first one the registry accepts
//     wins. When credentials matched and all were refused there is no
//     anonymous attempt; when none matched, exactly one anonymous attempt is
//     made. This is the kubelet's rule;
//  4. fetches under a store lease so that a concurrent GC cannot remove
//     blobs written before the image is named, then records the name.
//
// Concurrent requests for the same image with the same credential share one
// transfer. Different credentials never share: a caller without access must
// not obtain an image through somebody else's secret.
package pull

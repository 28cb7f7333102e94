// Package pull is the image manager: the one entry point, Puller.Ensure,
// that turns "make this container's image usable" into presence checks,
// policy decisions, credential checks, backoff, credential attempts and
// registry transfers, as the kubelet's EnsureImageExists does. The faces
// (the node agent's pod lifecycle, the CLI through Puller.Pull) make one
// call and translate what happened: Ensure reports each step to an
// Observer (EventPulling, EventPulled, EventBackOff, ...) and fails with a
// *Failure carrying the kubelet's waiting reason, its message and the
// *cause.Error underneath.
//
// For one request Ensure
//  1. parses and normalises the reference (reference.Parse; a bad one is
//     InvalidImageName, never backed off);
//  2. unless the policy is Always, looks the image up in the store once
//     (an empty policy is defaulted the way the API server does);
//  3. for a present image, checks that the caller may use it (KEP-2535,
//     see WithCredentialVerification): with the check passed, the image is
//     used as is; otherwise it is pulled again with the caller's
//     credentials (policy Never: ErrImageNeverPull);
//  4. obeys the retry policy of the request (RetryPolicy, chosen per
//     Puller with WithRetry and per request): under RetryKubelet the
//     backoff of the request's BackoffKey (the kubelet's
//     "<podUID>_<image>": 10 s doubling to 300 s; only real pull failures
//     feed it, and a success garbage-collects it); under RetrySmart (the
//     default) one hold per image shared by every pod waiting on it: a
//     cause that needs a person (TagNotFound, Unauthorized, ...) holds
//     the image until RunRechecks' manifest HEAD (2 s growing to 30 s,
//     jittered, one per image and credential) finds it or a trigger
//     (RetryImage, RetryRepository, RetryRegistry, RetryHeld,
//     RetryWaiter) releases it; a transient cause holds it 1 s doubling to
//     20 s (jittered, Failure.RetryAt says until when); RateLimited holds
//     it for the registry's Retry-After; RegistryUnreachable also has its
//     host probed (RetryOptions.Probe, 500 ms growing to 1 s) and the first
//     answer releases every image of the host. OnRetry names the pods
//     released and the trigger. Requests without a BackoffKey (the CLI)
//     are never held;
//  5. tries the credentials that match the image, most specific first, pod
//     secrets before node credentials. The first one the registry accepts
//     wins. When credentials matched and all were refused there is no
//     anonymous attempt; when none matched, exactly one anonymous attempt is
//     made. This is the kubelet's rule;
//  6. fetches under a store lease so that a concurrent GC cannot remove
//     blobs written before the image is named, then records the name and
//     which credential pulled it.
//
// Concurrent requests for the same image with the same credential share one
// transfer. The transfer runs under its own context: it lives while at
// least one caller still waits for it, a caller that goes away (a deleted
// pod) leaves with cause.Canceled without disturbing the others, and the
// transfer is canceled when the last caller leaves. Different credentials
// never share: a caller without access must not obtain an image through
// somebody else's secret.
package pull

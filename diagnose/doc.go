// Package diagnose runs the manual checklist for an image pull failure
// automatically and returns a plain Result: one Step per item, each passed,
// failed or skipped with its evidence, and a verdict (Pullable, and the
// first failed step's cause reason, message and hint from package cause).
// The faces (explain image, explain pod on the agent or a cluster, the
// kubectl plugin, check -f) only render it.
//
// The steps, in order: the reference parses (InvalidImageName); the pull
// policy and whether a pull is needed when presence is known
// (ErrImageNeverPull); the credentials that match the registry, named by
// their source (secret namespace/name and entry, node config), never by
// value, with the pod's missing secrets; DNS, TCP, TLS and GET /v2/
// (RegistryUnreachable), each asked once per host per Checker; whether the
// registry accepts the credentials, tried in the kubelet's order, the first
// accepted winning, one anonymous attempt when none matched (Unauthorized,
// Denied); the repository exists (RepositoryNotFound, from the tag list,
// read only when the manifest is missing); the tag or digest exists
// (TagNotFound, with the nearest existing tags); the platform is in the
// index (PlatformNotFound; not read on Docker Hub, where a manifest GET
// counts as a pull, nor for a single-platform image, whose platform is in a
// config blob); rate-limit headroom (Docker Hub's ratelimit-limit and
// ratelimit-remaining headers of the HEAD, or a 429 and its Retry-After:
// RateLimited); what cannot be checked from here (Request.Node: the node's
// network path, its own credentials and kubelet credential providers); and
// what happens next, and when (KubeletState.Retry): under the kubelet's
// policy its back-off state (10 s doubling to 300 s; no retry for
// InvalidImageName and ErrImageNeverPull until the pod changes); under
// pullwarden's smart policy what it does for the diagnosed cause (a cause
// that needs a person: held and re-checked with a manifest HEAD every 2 s
// growing to 30 s, retried at once on a re-check that finds the image, a
// push notification (missing tag or repository) or a changed secret
// (credentials); a transient cause: retried after 1 s doubling to 20 s,
// an unreachable registry also probed; RateLimited with a wait: no
// request before it has passed; a used-up quota: manifest GETs held
// until the quota allows one; InvalidImageName and ErrImageNeverPull:
// not retried until the pod changes).
//
// With Options.RegistryConfigPath (containerd's hosts.toml directory, as
// the agent's serve --registry-config-path), the network and registry
// steps reach the registry as its own entry there says: its server, ca,
// client certificates, skip_verify, headers and API root (the same
// per-host settings the agent's pulls use); the mirrors tried before it
// are named in the API step, not checked; a file that cannot be used
// fails the DNS step naming it.
//
// It only reads: per check one manifest HEAD per credential tried (a HEAD
// costs nothing against Docker Hub's pull limit), the tag list when the
// manifest is missing, an index by digest for the platform; never a layer
// or a config blob. Use NewRegistryClient: it retries transient failures
// briefly and reports a Retry-After at once instead of sleeping.
package diagnose

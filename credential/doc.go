// Package credential finds the registry credentials for an image the way
// the kubelet does, and builds the docker-registry Secrets that kubectl
// builds.
//
// # Sources
//
// Pod image pull secrets (FromSecrets, with ReadSecretFiles to read Secret
// manifests from YAML or JSON files through package yamldoc, the reader
// apply uses; a Secret whose data is not base64 is skipped with a Warning,
// like one with bad JSON) come first; the node's credentials
// (LoadDockerConfig: docker's config.json with its `auths`, `credsStore`
// and `credHelpers`) come after them: Union(pods, node). Secrets of type
// kubernetes.io/dockerconfigjson (key .dockerconfigjson,
// {"auths": {...}}) and kubernetes.io/dockercfg (key .dockercfg, the bare
// map) are read; `stringData` wins over `data` per key. An entry's `auth`
// field, base64 of "user:password" (padded or not, split at the first
// colon), overrides its username and password; `identitytoken` and
// `registrytoken` are kept as docker keeps them.
//
// # Matching (the kubelet's rules, kept even where surprising)
//
// A server entry becomes a key (Key): "https://" is added when there is no
// scheme, a leading "/v1/" or "/v2/" is stripped from the path, and the key
// is host+path, or the host alone when the path is empty or "/". A key
// matches an image repository name such as "docker.io/library/nginx"
// (Matches) when the ports are equal, the hosts have the same number of
// labels and every label of the key glob-matches (path.Match) the image's
// ("*.example.com" matches "a.example.com" but neither "example.com" nor
// "a.b.example.com"), and the image's path starts with the key's path as a
// plain string: the key "reg/foo" matches "reg/foobar". Keys are tried in
// reverse-lexicographic order, so "quay.io/coreos" comes before "quay.io";
// a key's credentials keep the order in which they were added (the order
// of the secrets). When no key of a keyring matches and the image is on
// Docker Hub, the credentials under "index.docker.io" (written as
// "https://index.docker.io/v1/", "index.docker.io/v1/" or
// "index.docker.io") are used; a "docker.io" key matches Docker Hub images
// directly.
//
// # How a puller uses the result
//
// Keyring.Lookup returns every matching Credential, most specific first.
// The puller tries them in order and the first that works wins. If some
// matched and all failed, there is no anonymous attempt; if none matched,
// there is exactly one anonymous attempt. A pod naming secrets that do not
// exist gets the kubelet's MissingSecretsWarning event and the pull goes
// on.
//
// # Differences from the kubelet
//
// The kubelet fails the whole lookup when a pull secret holds malformed
// JSON; FromSecrets skips that secret and returns a Warning (a caller that
// wants the kubelet's behaviour treats a Warning as fatal). The kubelet
// ignores secrets of other types silently; here they give a Warning. The
// kubelet does not run docker credential helpers; LoadDockerConfig does,
// each bounded by HelperTimeout, and a helper that fails is a Warning.
//
// # Secrets stay secret
//
// A Credential prints (fmt, JSON, slog) as its Source only. Errors and
// Warnings name the secret (namespace/name, file and document, key) and
// what is wrong, never a value; JSON syntax errors are reported by byte
// offset. Files holding credentials are written with WriteFile: mode 0600,
// atomically.
//
// # kubectl create secret docker-registry
//
// NewDockerRegistrySecret builds the same object as kubectl (field order,
// `auth`, email left out when empty, server default DefaultServer) and
// Marshal prints it byte for byte as `-o yaml` or `-o json` does.
package credential

// Package apiserver serves the node agent's objects over HTTP, following the
// Kubernetes API closely enough for client-go's typed clientset (and so
// kubectl-like commands) to talk to it.
//
// Paths (all JSON):
//
//	/api/v1/namespaces[/{name}[/status]]
//	/api/v1/namespaces/{ns}/{pods|secrets|serviceaccounts|events}[/{name}]
//	/api/v1/namespaces/{ns}/pods/{name}/status   (GET, PUT, PATCH)
//	/api/v1/namespaces/{ns}/pods/{name}/log      (?container=&follow=)
//	/api/v1/{pods|secrets|serviceaccounts|events} (all namespaces)
//	/api/v1/watch/...                             (old-style watch paths)
//	/api, /api/v1, /apis                          (discovery)
//	/healthz, /version
//
// Verbs: GET (one object, or a List such as PodList with the store's
// resourceVersion; labelSelector and fieldSelector on metadata.name,
// metadata.namespace, spec.nodeName, status.phase and involvedObject.*),
// GET ?watch=true (one JSON watch event per line, {"type":"ADDED",
// "object":{...}}, starting with the current objects unless resourceVersion
// is given; timeoutSeconds ends it), POST (201), PUT, PATCH (server-side
// apply, application/apply-patch+yaml, replaces the object as
// objects.Store.Apply does; merge and strategic merge patches), DELETE
// (returns the deleted object).
//
// Errors are metav1.Status bodies with the API server's code, reason and
// message: NotFound 404, AlreadyExists 409, Conflict 409, Invalid 422 with
// details.causes, BadRequest 400, RequestEntityTooLarge 413 (bodies over
// 3 MiB), Forbidden 403, UnsupportedMediaType 415, MethodNotAllowed 405.
//
// Logs are delegated to a LogSource supplied by the agent; without one the
// log path answers 503. pullwarden's own POST /pullwarden/v1/retry
// (RetryPath, Client.Retry) selects pods by name, all or label selector
// and hands each to the agent's Retrier (503 without one).
//
// The client side is client-go: NewClient returns a Client that embeds
// kubernetes.Interface (the typed clientset) pointed at a unix socket through
// a custom Dial, plus Apply and Logs helpers for the commands.
package apiserver

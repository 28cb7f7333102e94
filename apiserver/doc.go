// Package apiserver serves the node agent's objects over HTTP, following the
// Kubernetes API closely enough for client-go's typed clientset and for the
// real kubectl to talk to it.
//
// Paths:
//
//	/api/v1/namespaces[/{name}[/status]]
//	/api/v1/namespaces/{ns}/{pods|secrets|serviceaccounts|events}[/{name}]
//	/api/v1/namespaces/{ns}/pods/{name}/status   (GET, PUT, PATCH)
//	/api/v1/namespaces/{ns}/pods/{name}/log      (?container=&follow=)
//	/api/v1/{pods|secrets|serviceaccounts|events} (all namespaces)
//	/api/v1/watch/...                             (old-style watch paths)
//	/api, /api/v1, /apis                          (discovery, also aggregated)
//	/openapi/v2, /openapi/v3, /openapi/v3/api/v1  (OpenAPI)
//	/healthz, /livez, /readyz, /version
//
// Any other path under /api or /apis is the API server's NotFound ("the
// server could not find the requested resource"); other paths get
// "404 page not found".
//
// Verbs: GET (one object, or a List such as PodList with the store's
// resourceVersion; labelSelector and fieldSelector on metadata.name,
// metadata.namespace, spec.nodeName, status.phase and involvedObject.*),
// GET ?watch=true (one JSON watch event per line, {"type":"ADDED",
// "object":{...}}, starting with the current objects unless resourceVersion
// is given; with sendInitialEvents=true the current objects are followed by
// a BOOKMARK annotated k8s.io/initial-events-end, as client-go's watch-list
// expects; timeoutSeconds ends it), POST (201), PUT, PATCH (server-side
// apply, application/apply-patch+yaml, replaces the object as
// objects.Store.Apply does; JSON merge, strategic merge and JSON patches),
// DELETE (returns the deleted object). dryRun is refused with 400.
// Unknown fields in a body are refused (strict decoding) unless
// fieldValidation=Ignore (dropped) or Warn (dropped with a warning).
//
// Formats. Request bodies: JSON, YAML, or the Kubernetes protobuf envelope
// (client-go's typed clients, so kubectl create, send it and never fall
// back). Responses follow the Accept header in order: JSON, YAML, the
// meta.k8s.io Table kubectl get asks for (the columns and cells of package
// printer's ServerTable, so kubectl shows what pullwarden get shows; rows
// carry PartialObjectMetadata unless includeObject says otherwise; watch
// events carry one-row tables, the first with the column definitions),
// aggregated discovery (apidiscovery.k8s.io/v2) on /api and /apis, and the
// protobuf OpenAPI v2 document. Anything else is 406 NotAcceptable.
//
// OpenAPI: the Kubernetes API's own published documents (v1.37.2), cut
// down to the served paths and the schemas they reach by
// internal/genopenapi and embedded gzipped (openapi/).
//
// Writes of a pod with fields the agent stores but does not implement
// (manifest.Unsupported: volumes, probes, resources, valueFrom...) answer
// with one "Warning: 299 - ..." header per field, which kubectl prints.
//
// Errors are metav1.Status bodies with the API server's code, reason and
// message: NotFound 404, AlreadyExists 409, Conflict 409, Invalid 422 with
// details.causes, BadRequest 400, Unauthorized 401, RequestEntityTooLarge
// 413 (bodies over 3 MiB), Forbidden 403, NotAcceptable 406,
// UnsupportedMediaType 415, MethodNotAllowed 405.
//
// Logs are delegated to a LogSource supplied by the agent; without one the
// log path answers 503. pullwarden's own POST /pullwarden/v1/retry
// (RetryPath, Client.Retry) selects pods by name, all or label selector
// and hands each to the agent's Retrier (503 without one). GET
// /pullwarden/v1/agent (AgentPath, Client.AgentInfo) describes the agent
// (its default retry policy, for explain); NotFound without one.
//
// TLS. EnsurePKI keeps a private CA, a serving certificate for 127.0.0.1,
// ::1 and localhost and an admin credential (client certificate and bearer
// token) in a directory; RequireCredential admits only requests carrying
// that credential (others get 401), and PKI.WriteKubeconfig writes the
// kubeconfig kubectl uses. The agent serves the API this way on loopback
// TCP, next to its unix socket.
//
// The client side is client-go: NewClient returns a Client that embeds
// kubernetes.Interface (the typed clientset) pointed at a unix socket through
// a custom Dial (or NewClientFromKubeconfig for the TLS listener), plus
// Apply and Logs helpers for the commands. It speaks JSON and prints the
// API's warnings to stderr as kubectl does.
package apiserver

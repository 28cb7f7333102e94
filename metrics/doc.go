// Package metrics holds the node agent's Prometheus metrics
// (`serve --metrics-listen ADDR`, served at /metrics by Handler), in a
// registry of their own with the Go runtime and process collectors:
//
//	pullwarden_pulls_total{result,cause}        counter: pulls that ended; result success|failure,
//	                                            cause the failure's Reason (TagNotFound, ...), empty on success
//	pullwarden_transferred_bytes_total          counter: bytes received from registries
//	pullwarden_resumed_bytes_total              counter: bytes of partial transfers kept (resumed, not re-downloaded)
//	pullwarden_retry_delay_seconds{cause}       histogram: the wait before a failed pull's next attempt
//	pullwarden_recovery_seconds{trigger}        histogram: from the fix (the trigger firing) to the container running;
//	                                            trigger secret|notification|recheck|registry_back|retry_command|backoff
//	pullwarden_pods_waiting{cause}              gauge: pods waiting for an image, by the cause of the last failure
//	pullwarden_registry_waits_total{registry,reason}
//	                                            counter: shared waits on a registry (package throttle's OnHold:
//	                                            RetryAfter, QuotaExhausted, TooManyRequests)
//
// Record through the typed methods (Pull, Transferred, Resumed,
// RetryDelay, Recovered, SetPodsWaiting, RegistryWait); label values are
// the closed sets above, never image names or pod names, so cardinality
// stays bounded (registry hosts are the one open set). A nil *Metrics
// records nothing, so the library takes one optionally. Duration buckets
// span 0.1 s to 10 min (RetryDelayBuckets, RecoveryBuckets): the 2 s
// recovery target of the retry triggers and the kubelet's 5-minute
// backoff cap both fall on bucket bounds.
package metrics

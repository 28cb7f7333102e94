package recheck_test

import (
	"context"
	"fmt"

	"github.com/pullwarden/pullwarden/recheck"
)

// Pods waiting on the same image and credential share one re-check; a
// trigger resets it.
func ExampleSchedule() {
	s := recheck.New[string](recheck.Options{}) // 2s growing to 30s, jittered
	key := "registry.example/app:v2|secret default/regcred"
	s.Register(key, "pod-a")
	s.Register(key, "pod-b")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Run(ctx, func(ctx context.Context, key string, waiters []string) {
		// HEAD the manifest with the credential; on success pull for
		// the waiters, then Unregister them.
	})
	s.Reset(key) // e.g. the secret was created: check now
	fmt.Println(s.Waiters(key))
	// Output: [pod-a pod-b]
}

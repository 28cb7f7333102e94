package throttle_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/pullwarden/pullwarden/throttle"
)

// One Throttle per node; every registry client sends through its
// Transport, so a 429 seen by one pull holds the requests of all.
func ExampleThrottle_Transport() {
	th := throttle.New(throttle.Options{
		Default: throttle.Limits{QPS: 5, Burst: 10, Transfers: 8},
		OnHold: func(host string, until time.Time, why throttle.Reason) {
			slog.Info("registry asks to wait", "registry", host, "until", until, "reason", why)
		},
	})
	client := &http.Client{Transport: th.Transport(http.DefaultTransport)}
	_ = client // hand it to the registry client (registry.Options.Transport)
	fmt.Println(th.State("registry-1.docker.io").Hold.IsZero())
	// Output: true
}

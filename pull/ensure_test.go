package pull

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/pullwarden/pullwarden/cause"
	"github.com/pullwarden/pullwarden/clock"
	"github.com/pullwarden/pullwarden/policy"
	"github.com/pullwarden/pullwarden/reason"
)

type kinds []EventKind

func (k *kinds) Observe(e Event) { *k = append(*k, e.Kind) }

// TestEnsureSteps: the observer sees the kubelet image manager's steps and
// the failure carries the kubelet's waiting reason.
func TestEnsureSteps(t *testing.T) {
	t.Parallel()
	pl, _, image := setup(t)
	clk := clock.NewFake(time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC))
	pl = New(pl.store, pl.fetcher, WithClock(clk))

	for _, tc := range []struct {
		name   string
		req    EnsureRequest
		want   kinds
		reason string
	}{
		{"invalid", EnsureRequest{Image: "Bad:Name"}, kinds{EventInvalidName}, reason.InvalidImageName},
		{"never absent", EnsureRequest{Image: image, Policy: policy.Never}, kinds{EventNeverPull}, reason.ErrImageNeverPull},
		{"missing tag", EnsureRequest{Image: image + "x", BackoffKey: "uid_x"}, kinds{EventPulling, EventPullFailed}, reason.ErrImagePull},
		{"in backoff", EnsureRequest{Image: image + "x", BackoffKey: "uid_x"}, kinds{EventBackOff}, reason.ImagePullBackOff},
		{"pull", EnsureRequest{Image: image, BackoffKey: "uid_y"}, kinds{EventPulling, EventPulled}, ""},
		{"present", EnsureRequest{Image: image, BackoffKey: "uid_y"}, kinds{EventPresent}, ""},
	} {
		var got kinds
		tc.req.Observer = &got
		_, err := pl.Ensure(t.Context(), tc.req)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: steps %v, want %v", tc.name, got, tc.want)
		}
		var f *Failure
		switch {
		case tc.reason == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.reason != "" && (!errors.As(err, &f) || f.Reason != tc.reason):
			t.Errorf("%s: %v, want reason %s", tc.name, err, tc.reason)
		}
		if tc.name == "missing tag" && !errors.Is(err, cause.TagNotFound) {
			t.Errorf("missing tag: %v does not unwrap to TagNotFound", err)
		}
	}
}

package pull

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pullwarden/pullwarden/internal/faultproxy"
	"github.com/pullwarden/pullwarden/internal/testimage"
	"github.com/pullwarden/pullwarden/internal/testregistry"
	"github.com/pullwarden/pullwarden/policy"
	"github.com/pullwarden/pullwarden/registry"
	"github.com/pullwarden/pullwarden/store/ocilayout"
)

// twoImages serves a/one:1 and a/two:1 through a fault proxy.
func twoImages(t *testing.T, opts ...Option) (*Puller, *faultproxy.Proxy, string, string) {
	t.Helper()
	reg := testregistry.StartInProcess(t)
	p, err := faultproxy.New(reg.URL)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	testimage.Push(t, testimage.Random(t, 1, 4<<10), reg.Ref("a/one:1"), nil)
	testimage.Push(t, testimage.Random(t, 1, 4<<10), reg.Ref("a/two:1"), nil)
	s, err := ocilayout.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return New(s, registry.New(registry.Options{}), opts...), p, host + "/a/one:1", host + "/a/two:1"
}

func requestsFor(p *faultproxy.Proxy, repo string) int {
	n := 0
	for _, r := range p.Requests() {
		if strings.Contains(r.Path, "/"+repo+"/") {
			n++
		}
	}
	return n
}

func TestPullConcurrencyKubeletDefaults(t *testing.T) {
	one := int32(1)
	three := int32(3)
	zero := int32(0)
	for _, tc := range []struct {
		serialize bool
		max       *int32
		want      int
		err       bool
	}{
		{true, nil, 1, false},
		{false, nil, 0, false},
		{false, &three, 3, false},
		{true, &one, 1, false},
		{true, &three, 0, true},
		{false, &zero, 0, true},
	} {
		got, err := PullConcurrency(tc.serialize, tc.max)
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("PullConcurrency(%v, %v) = %d, %v; want %d, error %v", tc.serialize, tc.max, got, err, tc.want, tc.err)
		}
	}
}

// TestSerializedPullsWaitForTheSlot: with serializeImagePulls (one slot) a
// second image's transfer does not start while the first one runs; without
// a limit it goes ahead.
func TestSerializedPullsWaitForTheSlot(t *testing.T) {
	t.Parallel()
	for _, limit := range []int{1, 0} {
		pl, proxy, imgOne, imgTwo := twoImages(t, WithMaxParallelPulls(limit))
		stalled := make(chan struct{}, 1)
		proxy.Add(faultproxy.Rule{Method: "GET", Path: "/a/one/blobs/", Times: 1, Fault: faultproxy.Fault{Kind: faultproxy.Stall, N: 10, Notify: stalled}})
		errOne := make(chan error, 1)
		go func() {
			_, err := pl.Pull(t.Context(), Request{Image: imgOne, Policy: policy.Always})
			errOne <- err
		}()
		<-stalled
		errTwo := make(chan error, 1)
		go func() {
			_, err := pl.Pull(t.Context(), Request{Image: imgTwo, Policy: policy.Always})
			errTwo <- err
		}()
		if limit == 1 {
			waitFor(t, "the second transfer to queue", func() bool { return pl.queued.Load() == 1 })
			if n := requestsFor(proxy, "two"); n != 0 {
				t.Fatalf("serialized: the second image sent %d requests while the first held the slot", n)
			}
			proxy.Close()
			if err := <-errOne; err != nil {
				t.Fatal(err)
			}
			if err := <-errTwo; err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := <-errTwo; err != nil {
			t.Fatalf("parallel: %v", err)
		}
		proxy.Close()
		if err := <-errOne; err != nil {
			t.Fatal(err)
		}
	}
}

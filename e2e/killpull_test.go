//go:build e2e

package e2e

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/mutate"
	corev1 "k8s.io/api/core/v1"

	"github.com/pullwarden/pullwarden/internal/faultproxy"
	"github.com/pullwarden/pullwarden/internal/testimage"
)

// TestKillMidPull kills the agent with SIGKILL while it transfers a 60 MiB
// layer through a throttling proxy, starts it again, and checks that the
// pod runs and the transfer resumed from containerd's ingest instead of
// starting over.
func TestKillMidPull(t *testing.T) {
	requireReal(t)
	b := startBase(t)
	pause, _ := testImages(t)

	const layerSize = 60 << 20
	big := testimage.Random(t, 1, layerSize, testimage.Uncompressed())
	layers, err := big.Layers()
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(pause, layers[0])
	if err != nil {
		t.Fatal(err)
	}
	digest, err := layers[0].Digest()
	if err != nil {
		t.Fatal(err)
	}
	size, err := layers[0].Size()
	if err != nil {
		t.Fatal(err)
	}
	testimage.Push(t, img, b.reg.Ref("big/app:1"), nil)

	proxy, err := faultproxy.New(b.reg.URL)
	if err != nil {
		t.Fatal(err)
	}
	blobPath := "/v2/big/app/blobs/" + digest.String()
	// 256 KiB every 20 ms: at most 12.5 MiB/s, so the layer takes 5 s or more.
	proxy.Add(faultproxy.Rule{Method: "GET", Path: "^" + blobPath + "$", Fault: faultproxy.Fault{Kind: faultproxy.Trickle, N: 256 << 10, Tick: 20 * time.Millisecond}})
	srv := httptest.NewServer(proxy)
	t.Cleanup(srv.Close)
	t.Cleanup(proxy.Close)
	image := strings.TrimPrefix(srv.URL, "http://") + "/big/app:1"

	a := startAgent(t, b.pauseRef)
	const name = "kill-mid-pull"
	a.Apply(t, podManifest{Name: name, Image: image}.YAML())

	const killAt = 15 << 20
	var servedAtKill int64
	deadline := time.Now().Add(90 * time.Second)
	for servedAtKill = proxy.Served(blobPath); servedAtKill <= killAt; servedAtKill = proxy.Served(blobPath) {
		if time.Now().After(deadline) {
			t.Fatalf("the proxy served only %d bytes of the layer within 90s", servedAtKill)
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not an assertion
	}
	a.Stop(syscall.SIGKILL)
	servedBefore := proxy.Served(blobPath)
	t.Logf("SIGKILL after %d bytes of %d served (%d by the time the agent was gone)", servedAtKill, size, servedBefore)
	if servedBefore >= size {
		t.Fatalf("the whole layer was served before the kill took effect (%d >= %d): the throttle is too weak", servedBefore, size)
	}

	a.Start()
	a.WaitStatus(t, name, "Running", 120*time.Second)
	total := proxy.Served(blobPath)
	ratio := float64(total) / float64(size)
	var ranges []string
	for _, r := range proxy.Requests() {
		if r.Path == blobPath {
			ranges = append(ranges, fmt.Sprintf("%s Range=%q", r.Method, r.Range))
		}
	}
	t.Logf("layer %d bytes; served %d in total (%.3fx); blob requests: %s", size, total, ratio, strings.Join(ranges, "; "))
	if total > size+size/10 {
		t.Errorf("served %d bytes for a %d-byte layer (%.2fx > 1.1x): the pull started over instead of resuming", total, size, ratio)
	}
	if total < size {
		t.Errorf("served %d bytes for a %d-byte layer: the layer cannot be complete", total, size)
	}
	a.WaitEvent(t, name, corev1.EventTypeNormal, "Pulled", func(m string) bool {
		return strings.HasPrefix(m, fmt.Sprintf("Successfully pulled image %q in ", image))
	}, 10*time.Second)
}

package node

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/pullwarden/pullwarden/clock"
	"github.com/pullwarden/pullwarden/internal/testcontainerd"
	"github.com/pullwarden/pullwarden/internal/testimage"
	"github.com/pullwarden/pullwarden/internal/testregistry"
	"github.com/pullwarden/pullwarden/registry"
	"github.com/pullwarden/pullwarden/runtime/cri"
)

func TestParsePrepull(t *testing.T) {
	images, secrets := ParsePrepull(map[string]string{
		PrepullImagesKey:  "# base images\n\nregistry.example/team/app:v1\n  busybox:1.36   # the shell\nregistry.example/team/app:v1\r\n#gone:1\n",
		PrepullSecretsKey: " regcred, other ,,regcred",
	})
	if want := []string{"registry.example/team/app:v1", "busybox:1.36"}; !slices.Equal(images, want) {
		t.Errorf("images = %q, want %q", images, want)
	}
	if want := []string{"regcred", "other"}; !slices.Equal(secrets, want) {
		t.Errorf("secrets = %q, want %q", secrets, want)
	}
	if im, s := ParsePrepull(nil); im != nil || s != nil {
		t.Errorf("empty ConfigMap: %q %q", im, s)
	}
}

func FuzzParsePrepull(f *testing.F) {
	f.Add("a:1\n# c\n\nb:2 # x\n", "s1,s2")
	f.Add("\r\n \t#\n", ",,,")
	f.Fuzz(func(t *testing.T, images, secrets string) {
		im, sec := ParsePrepull(map[string]string{PrepullImagesKey: images, PrepullSecretsKey: secrets})
		for _, s := range im {
			if s == "" || s[0] == '#' || strings.Contains(s, " #") || s != strings.TrimSpace(s) {
				t.Fatalf("image %q not clean", s)
			}
		}
		for _, s := range sec {
			if s == "" || strings.Contains(s, ",") || s != strings.TrimSpace(s) {
				t.Fatalf("secret %q not clean", s)
			}
		}
	})
}

// TestPrepullSurvivesRegistryOutage: the pre-pull list names an image
// while its registry is down; the engine holds it, and once the registry
// is back the image is in containerd's k8s.io namespace, unpacked and seen
// by the CRI, without a restart. Time is the fake clock's.
func TestPrepullSurvivesRegistryOutage(t *testing.T) {
	ctd := testcontainerd.Start(t)
	reg := testregistry.StartInProcess(t)
	image := reg.Ref("base/tools:1")
	testimage.Push(t, testimage.Busybox(t), image, nil)
	reg.Stop()

	fake := clock.NewFake(time.Now())
	// The client is never used: the list names no secret.
	cs := kubernetes.NewForConfigOrDie(&rest.Config{Host: "http://127.0.0.1:1"})
	n, err := New(t.Context(), Config{NodeName: "node-1", Client: cs, ContainerdAddress: ctd.Address, Clock: fake,
		Registry: registry.Options{Retry: registry.RetryPolicy{Attempts: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Close() })
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); n.runPrepull(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	n.prepull.set([]string{image}, nil)

	st := waitState(t, n, fake, image, func(s ImageState) bool { return s.State == StateFailing }, 0)
	if st.Reason != "RegistryUnreachable" {
		t.Errorf("while down: %+v, want RegistryUnreachable", st)
	}
	reg.Restart()
	st = waitState(t, n, fake, image, func(s ImageState) bool { return s.State == StatePresent }, time.Second)
	if st.Digest == "" {
		t.Errorf("present without a digest: %+v", st)
	}
	rt, err := cri.New(t.Context(), ctd.Address)
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	if _, err := rt.ImageStatus(t.Context(), image); err != nil {
		t.Errorf("the CRI does not see the pre-pulled image: %v", err)
	}
	assertUnpacked(t, n, image)
}

// waitState waits (in real time, at most 20 s) until image's state
// satisfies ok, stepping the fake clock by step whenever the pre-puller
// waits on it.
func waitState(t *testing.T, n *Node, fake *clock.Fake, image string, ok func(ImageState) bool, step time.Duration) ImageState {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		for _, s := range n.prepull.snapshot() {
			if s.Image == image && ok(s) {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("image %s: state %+v", image, n.prepull.snapshot())
		}
		if step > 0 && fake.HasWaiters() {
			fake.Step(step)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

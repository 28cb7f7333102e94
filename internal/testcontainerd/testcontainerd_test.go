package testcontainerd_test

import (
	"testing"

	"github.com/pullwarden/pullwarden/internal/testcontainerd"
	"github.com/pullwarden/pullwarden/runtime/cri"
)

func TestStartServesCRI(t *testing.T) {
	c := testcontainerd.Start(t)
	rt, err := cri.New(t.Context(), c.Address)
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	name, version, err := rt.Version(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if name != "containerd" || version == "" {
		t.Fatalf("runtime %q %q", name, version)
	}
	c.Restart()
	rt2, err := cri.New(t.Context(), c.Address)
	if err != nil {
		t.Fatalf("after restart: %v", err)
	}
	rt2.Close()
}

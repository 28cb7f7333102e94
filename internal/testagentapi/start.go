package testagentapi

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pullwarden/pullwarden/apiserver"
	"github.com/pullwarden/pullwarden/objects"
)

// Start opens a store (node "node1") in a temporary directory and serves
// it on a unix socket until the test ends; it returns the store and the
// socket's path.
func Start(t *testing.T, opts ...apiserver.Option) (*objects.Store, string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "pwapi")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	s, err := objects.Open(filepath.Join(dir, "state.db"), objects.WithNodeName("node1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	sock := filepath.Join(dir, "api.sock")
	l, err := apiserver.Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = apiserver.Serve(t.Context(), l, apiserver.New(s, opts...)) }()
	return s, sock
}

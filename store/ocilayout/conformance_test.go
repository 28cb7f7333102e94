package ocilayout

import (
	"path/filepath"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/pullwarden/pullwarden/store"
	"github.com/pullwarden/pullwarden/store/storetest"
)

func openTest(t *testing.T, dir string, opts ...Option) *Store {
	t.Helper()
	s, err := Open(dir, append([]Option{WithPollInterval(2 * time.Millisecond)}, opts...)...)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, storetest.Factory{
		New: func(t *testing.T) store.Store { return openTest(t, t.TempDir()) },
		Reopen: func(t *testing.T, s store.Store) store.Store {
			return openTest(t, s.(*Store).Dir())
		},
	})
}

func ingestFile(dir string, d v1.Descriptor, name string) string {
	return filepath.Join(dir, ingestDir, d.Digest.Hex, name)
}

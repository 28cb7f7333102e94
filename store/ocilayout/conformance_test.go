package ocilayout

import (
	"path/filepath"
	"strconv"
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

// Parts of an ingest, for ingestFile.
const (
	ingestData  = "data"
	ingestState = "hashstate"
)

// ingestFile is the path of an ingest's data file or saved hash state.
func ingestFile(dir string, d v1.Descriptor, part string) string {
	p := filepath.Join(dir, ingestDir, d.Digest.Hex+"-"+strconv.FormatInt(d.Size, 10))
	if part == ingestState {
		return p + stateSuffix
	}
	return p
}

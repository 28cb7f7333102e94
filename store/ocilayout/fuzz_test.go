package ocilayout

import (
	"bytes"
	"crypto/sha256"
	"encoding"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/pullwarden/pullwarden/cause"
)

// FuzzParseIndex: parseIndex never panics, and what it accepts survives a
// write and a re-read with the same images.
func FuzzParseIndex(f *testing.F) {
	f.Add([]byte(`{"schemaVersion":2,"manifests":[]}`))
	f.Add([]byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":7,"digest":"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","annotations":{"org.opencontainers.image.ref.name":"docker.io/library/a:1","io.pullwarden.image.repo-digest":"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","org.opencontainers.image.created":"2026-01-02T03:04:05.5Z"}}]}`))
	f.Add([]byte(`{"schemaVersion":2,"manifests":[{"mediaType":"x","size":-1,"digest":"sha256:00"}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		idx, err := parseIndex("index.json", b)
		if err != nil {
			return
		}
		out, err := json.Marshal(idx)
		if err != nil {
			t.Fatalf("marshal of a parsed index: %v", err)
		}
		again, err := parseIndex("index.json", out)
		if err != nil {
			t.Fatalf("re-parse of a written index: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(images(t, idx), images(t, again)) {
			t.Fatalf("images changed through a write: %s", out)
		}
	})
}

func images(t *testing.T, idx *v1.IndexManifest) []string {
	var names []string
	for _, d := range idx.Manifests {
		img, ok, err := imageOf(d)
		if err != nil {
			t.Fatalf("imageOf after parseIndex accepted the entry: %v", err)
		}
		if ok {
			names = append(names, img.Name+" "+img.Target.Digest.String()+" "+img.RepoDigest.String()+" "+img.Created.UTC().String())
		}
	}
	return names
}

// FuzzCheckLayout: any oci-layout content is accepted or refused with a
// StoreFailed error naming the file, never a panic.
func FuzzCheckLayout(f *testing.F) {
	f.Add([]byte(`{"imageLayoutVersion":"1.0.0"}`))
	f.Add([]byte(`{"imageLayoutVersion":"2.0"}`))
	f.Add([]byte(`{"imageLayoutVersion":null}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		err := checkLayout("DIR/oci-layout", b)
		if err != nil && (!errors.Is(err, cause.StoreFailed) || !strings.Contains(err.Error(), "DIR/oci-layout")) {
			t.Fatalf("error without StoreFailed or the file name: %v", err)
		}
	})
}

// FuzzHashState: a saved hash state file (it may be damaged or foreign) is
// parsed and compared with the re-hashed data without a panic, and only a
// state that describes exactly those bytes matches.
func FuzzHashState(f *testing.F) {
	h := sha256.New()
	h.Write([]byte("partial data"))
	st, _ := h.(encoding.BinaryMarshaler).MarshalBinary()
	good, _ := json.Marshal(hashState{Offset: 12, State: st})
	f.Add(good, []byte("partial data"))
	f.Add(good, []byte("partial dat4"))
	f.Add([]byte(`{"offset":-1,"state":""}`), []byte(""))
	f.Add([]byte(`{"offset":3,"state":"c2hhAw=="}`), []byte("abc"))
	f.Fuzz(func(t *testing.T, b, data []byte) {
		var st hashState
		if parseHashState(b, &st) != nil {
			return
		}
		if st.Offset < 0 {
			t.Fatalf("accepted a negative offset: %s", b)
		}
		h := sha256.New()
		h.Write(data)
		if sameHashState(st, int64(len(data)), h) {
			want := sha256.Sum256(data)
			saved := sha256.New()
			if err := saved.(encoding.BinaryUnmarshaler).UnmarshalBinary(st.State); err != nil || !bytes.Equal(saved.Sum(nil), want[:]) {
				t.Fatalf("state %s matched data it does not describe", b)
			}
		}
	})
}

// FuzzIngestName: the name of an ingest file is parsed back to the digest
// and size it was made from, and nothing else parses.
func FuzzIngestName(f *testing.F) {
	f.Add("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855-0")
	f.Add("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855-0012")
	f.Add("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855-12.hashstate")
	f.Add("E3B0-1")
	f.Fuzz(func(t *testing.T, name string) {
		h, size, ok := parseIngestName(name)
		if !ok {
			return
		}
		s := &Store{dir: "/s"}
		p := s.ingestPath(v1.Descriptor{Digest: h, Size: size})
		if p != "/s/"+ingestDir+"/"+name {
			t.Fatalf("parsed %q into %s, %d, which names %s", name, h, size, p)
		}
	})
}

package ocilayout

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/pullwarden/pullwarden/cause"
	"github.com/pullwarden/pullwarden/store"
)

// Problem is one defect Verify found.
type Problem struct {
	// Path is the file concerned.
	Path string
	// Digest is the blob concerned, if any.
	Digest v1.Hash
	// Err says what is wrong: a *cause.Error with cause.StoreFailed that
	// names Path.
	Err error
}

func (p Problem) Error() string { return p.Err.Error() }

// Verify checks the whole store: the oci-layout file, index.json, that
// every file in blobs/sha256 is named by a digest and has that digest
// (every blob is read and re-hashed), and that each image's target and
// the blobs it refers to are present. It returns the problems found; the
// error is for failures that stopped the check (ctx, an unlistable
// directory).
func (s *Store) Verify(ctx context.Context) ([]Problem, error) {
	var probs []Problem
	add := func(path string, h v1.Hash, err error) {
		probs = append(probs, Problem{Path: path, Digest: h, Err: err})
	}
	lp := s.path(layoutFile)
	if b, err := os.ReadFile(lp); err != nil {
		add(lp, v1.Hash{}, storeErr(err, "cannot read %s: %v", lp, err))
	} else if err := checkLayout(lp, b); err != nil {
		add(lp, v1.Hash{}, err)
	}
	bad, err := s.verifyBlobs(ctx, add)
	if err != nil {
		return probs, err
	}
	imgs, err := s.Images(ctx)
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return probs, cerr
		}
		add(s.path(indexFile), v1.Hash{}, err)
		return probs, nil
	}
	for _, img := range imgs {
		if err := s.verifyImage(ctx, img, bad, add); err != nil {
			return probs, err
		}
	}
	return probs, nil
}

// verifyBlobs re-hashes every blob; it returns the digests found damaged.
func (s *Store) verifyBlobs(ctx context.Context, add func(string, v1.Hash, error)) (map[v1.Hash]bool, error) {
	dir := s.path(blobsDir)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, storeErr(err, "cannot list %s: %v", dir, err)
	}
	bad := map[v1.Hash]bool{}
	for _, e := range ents {
		if err := ctx.Err(); err != nil {
			return bad, err
		}
		p := filepath.Join(dir, e.Name())
		if isTemp(e.Name()) {
			continue
		}
		h := v1.Hash{Algorithm: "sha256", Hex: e.Name()}
		if checkDigest(h) != nil {
			add(p, v1.Hash{}, storeErr(nil, "%s: file name is not a sha256 digest (64 lower-case hex digits)", p))
			continue
		}
		if !e.Type().IsRegular() {
			bad[h] = true
			add(p, h, storeErr(nil, "blob %s is not a regular file", p))
			continue
		}
		got, n, err := hashFile(p)
		if err != nil {
			bad[h] = true
			add(p, h, storeErr(err, "cannot read blob %s: %v", p, err))
			continue
		}
		if got != h {
			bad[h] = true
			add(p, h, storeErr(nil, "blob %s is corrupt: its %d bytes have digest %s", p, n, got))
		}
	}
	return bad, nil
}

func (s *Store) verifyImage(ctx context.Context, img store.Image, bad map[v1.Hash]bool, add func(string, v1.Hash, error)) error {
	ip := s.path(indexFile)
	if _, err := s.Info(ctx, img.Target.Digest); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			add(s.blobPath(img.Target.Digest), img.Target.Digest,
				storeErr(err, "image %s (%s): manifest blob %s is missing", img.Name, ip, s.blobPath(img.Target.Digest)))
			return nil
		}
		return err
	}
	if bad[img.Target.Digest] {
		return nil // reported already; do not parse damaged content
	}
	kids, err := store.Children(ctx, s, img.Target)
	if err != nil {
		if cause.Of(err) == cause.ManifestInvalid {
			p := s.blobPath(img.Target.Digest)
			add(p, img.Target.Digest, storeErr(err, "image %s: manifest %s is invalid: %v", img.Name, p, err))
			return nil
		}
		return err
	}
	for _, k := range kids {
		if _, err := s.Info(ctx, k.Digest); errors.Is(err, store.ErrNotFound) {
			p := s.blobPath(k.Digest)
			add(p, k.Digest, storeErr(err, "image %s: blob %s is missing", img.Name, p))
		} else if err != nil {
			return err
		}
	}
	return nil
}

func hashFile(p string) (v1.Hash, int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return v1.Hash{}, 0, err
	}
	defer f.Close()
	return hashReader(f)
}

func hashReader(r io.Reader) (v1.Hash, int64, error) {
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return v1.Hash{}, n, fmt.Errorf("after %d bytes: %w", n, err)
	}
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(h.Sum(nil))}, n, nil
}

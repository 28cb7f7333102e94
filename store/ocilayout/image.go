package ocilayout

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/pullwarden/pullwarden/store"
)

// PutImage records img in index.json, replacing any entry of the same name.
// Its target blob must be committed. A zero Created is set to now and a zero
// RepoDigest to the target's digest.
func (s *Store) PutImage(ctx context.Context, img store.Image) error {
	if img.Name == "" {
		return errors.New("image has no name")
	}
	if err := checkDigest(img.Target.Digest); err != nil {
		return fmt.Errorf("image %s: %w", img.Name, err)
	}
	if img.Target.MediaType == "" {
		return fmt.Errorf("image %s: target %s has no media type", img.Name, img.Target.Digest)
	}
	if img.Created.IsZero() {
		img.Created = s.opts.now()
	}
	if img.RepoDigest == (v1.Hash{}) {
		img.RepoDigest = img.Target.Digest
	}
	if err := s.writable("record image %s", img.Name); err != nil {
		return err
	}
	// Make the directory entries of the blobs committed since the last
	// sync durable before index.json can name them (Commit does not sync
	// blobs/: one sync per image instead of one per blob).
	if err := syncDir(s.path(blobsDir)); err != nil {
		return storeErr(err, "cannot sync %s: %v", s.path(blobsDir), err)
	}
	return s.updateIndex(ctx, func(idx *v1.IndexManifest) error {
		fi, err := os.Stat(s.blobPath(img.Target.Digest))
		if err != nil || !fi.Mode().IsRegular() {
			return notFound("image %s: target blob %s is not in the store", img.Name, img.Target.Digest)
		}
		if img.Target.Size != fi.Size() {
			return fmt.Errorf("image %s: target %s has size %d, the stored blob %d", img.Name, img.Target.Digest, img.Target.Size, fi.Size())
		}
		e := entryOf(img)
		replaced := false
		out := idx.Manifests[:0]
		for _, d := range idx.Manifests {
			if d.Annotations[AnnotationRefName] != img.Name {
				out = append(out, d)
			} else if !replaced {
				out = append(out, e)
				replaced = true
			}
		}
		if !replaced {
			out = append(out, e)
		}
		idx.Manifests = out
		return nil
	})
}

// DeleteImage removes a name from index.json, or returns store.ErrNotFound.
func (s *Store) DeleteImage(ctx context.Context, name string) error {
	if err := s.writable("remove image %s", name); err != nil {
		return err
	}
	return s.updateIndex(ctx, func(idx *v1.IndexManifest) error {
		out := idx.Manifests[:0]
		for _, d := range idx.Manifests {
			if d.Annotations[AnnotationRefName] != name {
				out = append(out, d)
			}
		}
		if len(out) == len(idx.Manifests) {
			return notFound("image %s", name)
		}
		idx.Manifests = out
		return nil
	})
}

// Image returns the record of a name, or store.ErrNotFound.
func (s *Store) Image(ctx context.Context, name string) (store.Image, error) {
	imgs, err := s.Images(ctx)
	if err != nil {
		return store.Image{}, err
	}
	i := sort.Search(len(imgs), func(i int) bool { return imgs[i].Name >= name })
	if i < len(imgs) && imgs[i].Name == name {
		return imgs[i], nil
	}
	return store.Image{}, notFound("image %s", name)
}

// Images lists the named entries of index.json, sorted by name.
func (s *Store) Images(ctx context.Context) ([]store.Image, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	idx, err := s.readIndex()
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var imgs []store.Image
	for _, d := range idx.Manifests {
		img, ok, _ := imageOf(d) // parseIndex checked the entries
		if !ok || seen[img.Name] {
			continue
		}
		seen[img.Name] = true
		imgs = append(imgs, img)
	}
	sort.Slice(imgs, func(i, j int) bool { return imgs[i].Name < imgs[j].Name })
	return imgs, nil
}

// updateIndex runs a read-modify-write of index.json under the index lock.
// A damaged index.json is never written: its error is returned instead.
func (s *Store) updateIndex(ctx context.Context, change func(*v1.IndexManifest) error) error {
	s.indexMu.Lock() // spares goroutines of this process the polling
	defer s.indexMu.Unlock()
	l, err := lock(ctx, s.path(indexLock), true, s.opts.pollInterval)
	if err != nil {
		return err
	}
	defer l.Close()
	idx, err := s.readIndex()
	if err != nil {
		return err
	}
	if err := change(idx); err != nil {
		return err
	}
	return s.writeIndex(idx)
}

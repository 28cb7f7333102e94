package containerd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"sort"
	"strconv"

	"github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/errdefs"
	"github.com/containerd/platforms"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/pullwarden/pullwarden/reference"
	"github.com/pullwarden/pullwarden/store"
)

// PutImage implements store.Store. It labels the target manifest (or
// index) with containerd.io/gc.ref.content.* labels naming its children, so
// that containerd's GC keeps everything the record reaches once the lease
// ends; creates or updates the image record (name, target, the
// LabelRepoDigest label); and, for a complete image of the host platform,
// unpacks it into the snapshotter so that the CRI need not do it inside
// CreateContainer.
func (s *Store) PutImage(ctx context.Context, img store.Image) error {
	cctx := s.ctx(ctx)
	if _, err := s.client.ContentStore().Info(cctx, toDigest(img.Target.Digest)); err != nil {
		return s.fail(err, "target %s of image %s", img.Target.Digest, img.Name)
	}
	if err := s.labelChildren(ctx, img.Target); err != nil {
		return err
	}
	rec := images.Image{
		Name:   img.Name,
		Target: ocispec.Descriptor{MediaType: string(img.Target.MediaType), Digest: toDigest(img.Target.Digest), Size: img.Target.Size},
		Labels: map[string]string{},
	}
	fields := []string{"target", "labels." + LabelRepoDigest, "labels." + labelGCRepoDigest}
	if img.RepoDigest.Hex != "" {
		rec.Labels[LabelRepoDigest] = img.RepoDigest.String()
		if img.RepoDigest != img.Target.Digest {
			// Keep the index the name resolved to (and, through its labels,
			// the other platforms' manifests present) as long as the record.
			if err := s.labelRepoDigest(ctx, img.RepoDigest); err != nil {
				return err
			}
			rec.Labels[labelGCRepoDigest] = img.RepoDigest.String()
		}
	}
	if err := s.putRecord(cctx, rec, fields); err != nil {
		return err
	}
	// The repo-digest record (repo@sha256:...), as containerd's own pull
	// writes it: the CRI reports it as the container's imageID.
	if byDigest := digestName(img.Name, img.RepoDigest); byDigest != "" {
		dr := rec
		dr.Name = byDigest
		dr.Labels = maps.Clone(rec.Labels)
		dr.Labels[labelDigestRecord] = img.Name
		if err := s.putRecord(cctx, dr, append(fields, "labels."+labelDigestRecord)); err != nil {
			return err
		}
	}
	if s.unpack {
		return s.unpackImage(ctx, img, rec)
	}
	return nil
}

// putRecord creates an image record or updates the fields that are ours.
func (s *Store) putRecord(cctx context.Context, rec images.Image, fields []string) error {
	is := s.client.ImageService()
	if _, err := is.Create(cctx, rec); err != nil {
		if !errdefs.IsAlreadyExists(err) {
			return s.fail(err, "create image %s", rec.Name)
		}
		// Update only what is ours: the CRI keeps its own labels.
		if _, err := is.Update(cctx, rec, fields...); err != nil {
			return s.fail(err, "update image %s", rec.Name)
		}
	}
	return nil
}

// digestName is "repo@digest" for a tagged name, "" for a name that is
// already by digest or has no repo digest.
func digestName(name string, d v1.Hash) string {
	ref, err := reference.Parse(name)
	if err != nil || ref.Digest() != "" || d.Hex == "" {
		return ""
	}
	return ref.Name() + "@" + d.String()
}

// labelGCRepoDigest makes containerd's GC keep the RepoDigest blob.
const labelGCRepoDigest = "containerd.io/gc.ref.content.repo-digest"

// labelRepoDigest labels the children of the RepoDigest blob, when it is
// present and is a manifest or index.
func (s *Store) labelRepoDigest(ctx context.Context, d v1.Hash) error {
	b, err := store.ReadAll(ctx, s, d, store.MaxManifestSize)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	mt, ok := probeMediaType(b)
	if !ok {
		return nil
	}
	return s.labelChildren(ctx, v1.Descriptor{MediaType: mt, Digest: d, Size: int64(len(b))})
}

// probeMediaType returns the media type of a manifest or index blob: its
// mediaType field, else guessed from a manifests (index) or config
// (manifest) field. ok is false for content that is not a JSON object.
func probeMediaType(b []byte) (mt types.MediaType, ok bool) {
	var probe struct {
		MediaType types.MediaType `json:"mediaType"`
		Manifests json.RawMessage `json:"manifests"`
		Config    json.RawMessage `json:"config"`
	}
	if json.Unmarshal(b, &probe) != nil {
		return "", false
	}
	mt = probe.MediaType
	switch {
	case mt == "" && probe.Manifests != nil:
		mt = types.OCIImageIndex
	case mt == "" && probe.Config != nil:
		mt = types.OCIManifestSchema1
	}
	return mt, true
}

// labelChildren writes the gc.ref labels of a manifest or index blob, and
// recursively of the indexed manifests present in the store.
func (s *Store) labelChildren(ctx context.Context, desc v1.Descriptor) error {
	kids, err := store.Children(ctx, s, desc)
	if err != nil || len(kids) == 0 {
		return err
	}
	info := content.Info{Digest: toDigest(desc.Digest), Labels: map[string]string{}}
	if desc.MediaType.IsIndex() {
		for i, k := range kids {
			info.Labels["containerd.io/gc.ref.content.m."+strconv.Itoa(i)] = k.Digest.String()
		}
	} else {
		info.Labels["containerd.io/gc.ref.content.config"] = kids[0].Digest.String()
		for i, k := range kids[1:] {
			info.Labels["containerd.io/gc.ref.content.l."+strconv.Itoa(i)] = k.Digest.String()
		}
	}
	fields := make([]string, 0, len(info.Labels))
	for k := range info.Labels {
		fields = append(fields, "labels."+k)
	}
	if _, err := s.client.ContentStore().Update(s.ctx(ctx), info, fields...); err != nil {
		return s.fail(err, "label blob %s", desc.Digest)
	}
	if desc.MediaType.IsIndex() {
		for _, k := range kids {
			if ok, err := store.Has(ctx, s, k.Digest); err != nil {
				return err
			} else if ok {
				if err := s.labelChildren(ctx, k); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// unpackImage unpacks a runnable image: a complete manifest whose config
// names the host platform and lists one diff ID per layer. Other images
// (another platform, missing blobs, an index, no layers) are recorded but
// left packed: the CRI could not run them here anyway.
func (s *Store) unpackImage(ctx context.Context, img store.Image, rec images.Image) error {
	if img.Target.MediaType.IsIndex() {
		return nil
	}
	if ok, err := store.Complete(ctx, s, img); err != nil || !ok {
		return err
	}
	kids, err := store.Children(ctx, s, img.Target)
	if err != nil {
		return err
	}
	if len(kids) < 2 || !s.runnable(ctx, kids[0], len(kids)-1) {
		return nil
	}
	return s.Unpack(ctx, img.Name)
}

// Unpack unpacks the named image into the store's snapshotter for the host
// platform (PutImage does this for runnable images). Unpacking an unpacked
// image is cheap: present snapshots are reused.
func (s *Store) Unpack(ctx context.Context, name string) error {
	cctx := s.ctx(ctx)
	rec, err := s.client.ImageService().Get(cctx, name)
	if err != nil {
		return s.fail(err, "image %s", name)
	}
	if err := client.NewImage(s.client, rec).Unpack(cctx, s.snapshotter); err != nil {
		return s.fail(err, "unpack image %s into %s", name, s.snapshotter)
	}
	return nil
}

// runnable reports whether an image config names an OS and architecture
// this host runs and one diff ID for each of its layers.
func (s *Store) runnable(ctx context.Context, config v1.Descriptor, layers int) bool {
	switch config.MediaType {
	case types.DockerConfigJSON, types.OCIConfigJSON:
	default:
		return false
	}
	b, err := store.ReadAll(ctx, s, config.Digest, store.MaxManifestSize)
	if err != nil {
		return false
	}
	p, ok := parseRunnableConfig(b, layers)
	return ok && platforms.Default().Match(p)
}

// parseRunnableConfig reads an image config (untrusted: it came from a
// registry): ok when it names an OS and architecture and lists one diff
// ID per layer; p is its platform.
func parseRunnableConfig(b []byte, layers int) (p ocispec.Platform, ok bool) {
	var c ocispec.Image
	if json.Unmarshal(b, &c) != nil || c.OS == "" || c.Architecture == "" || len(c.RootFS.DiffIDs) != layers {
		return p, false
	}
	return c.Platform, true
}

// Image implements store.Store.
func (s *Store) Image(ctx context.Context, name string) (store.Image, error) {
	rec, err := s.client.ImageService().Get(s.ctx(ctx), name)
	if err != nil {
		return store.Image{}, s.fail(err, "image %s", name)
	}
	return fromRecord(rec)
}

// Images implements store.Store. It lists the records of the namespace,
// also those other clients made, except the CRI plugin's image-ID records
// ("sha256:<config digest>"), which are its bookkeeping, not names.
func (s *Store) Images(ctx context.Context) ([]store.Image, error) {
	recs, err := s.client.ImageService().List(s.ctx(ctx))
	if err != nil {
		return nil, s.fail(err, "list images")
	}
	out := make([]store.Image, 0, len(recs))
	for _, r := range recs {
		if criIDRecord(r.Name) || r.Labels[labelDigestRecord] != "" {
			continue
		}
		img, err := fromRecord(r)
		if err != nil {
			continue // a record with a digest we cannot read: not ours
		}
		out = append(out, img)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// DeleteImage implements store.Store. When no other name is left for the
// deleted name's target, the CRI plugin's image-ID records of that target
// go too (as the CRI's RemoveImage does), or they would keep the content.
// Blobs stay until containerd's GC runs (see GC).
func (s *Store) DeleteImage(ctx context.Context, name string) error {
	cctx := s.ctx(ctx)
	is := s.client.ImageService()
	rec, err := is.Get(cctx, name)
	if err != nil {
		return s.fail(err, "image %s", name)
	}
	if err := is.Delete(cctx, name); err != nil {
		return s.fail(err, "image %s", name)
	}
	recs, err := is.List(cctx, "target.digest=="+rec.Target.Digest.String())
	if err != nil {
		return s.fail(err, "list images")
	}
	var ids []string
	for _, r := range recs {
		if !criIDRecord(r.Name) && r.Labels[labelDigestRecord] == "" {
			return nil // another tag still holds the target
		}
		ids = append(ids, r.Name)
	}
	for _, id := range ids {
		if err := is.Delete(cctx, id); err != nil && !errdefs.IsNotFound(err) {
			return s.fail(err, "image %s", id)
		}
	}
	return nil
}

// labelDigestRecord marks the repo-digest record PutImage writes beside a
// tag (its value is the tag's name). Images does not list such records, and
// DeleteImage removes them with the last tag of their target.
const labelDigestRecord = "io.pullwarden.digest-record-of"

// criIDRecord reports whether an image record name is an image ID, as the
// CRI plugin records them, rather than a reference.
func criIDRecord(name string) bool {
	_, err := digest.Parse(name)
	return err == nil
}

func fromRecord(r images.Image) (store.Image, error) {
	target, err := toHash(r.Target.Digest)
	if err != nil {
		return store.Image{}, fmt.Errorf("image %s: %w", r.Name, err)
	}
	img := store.Image{
		Name:       r.Name,
		Target:     v1.Descriptor{MediaType: types.MediaType(r.Target.MediaType), Digest: target, Size: r.Target.Size},
		RepoDigest: target,
		Created:    r.UpdatedAt,
	}
	if rd, ok := r.Labels[LabelRepoDigest]; ok {
		if h, err := v1.NewHash(rd); err == nil {
			img.RepoDigest = h
		}
	}
	return img, nil
}

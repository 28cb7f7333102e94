package testimage

import (
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// build assembles an image from layers with the options' media types and
// platform and the given runtime config.
func build(o *options, layers []v1.Layer, cfg v1.Config, what string) (v1.Image, error) {
	if len(cfg.Env) == 0 {
		cfg.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	}
	img := mutate.MediaType(empty.Image, o.manifestMediaType())
	img = mutate.ConfigMediaType(img, o.configMediaType())
	img, err := mutate.ConfigFile(img, &v1.ConfigFile{
		Architecture: o.platform.Architecture,
		OS:           o.platform.OS,
		Variant:      o.platform.Variant,
		OSVersion:    o.platform.OSVersion,
		Created:      v1.Time{Time: epoch},
		Config:       cfg,
		RootFS:       v1.RootFS{Type: "layers"},
	})
	if err != nil {
		return nil, err
	}
	adds := make([]mutate.Addendum, 0, len(layers))
	for i, l := range layers {
		adds = append(adds, mutate.Addendum{
			Layer:   l,
			History: v1.History{Created: v1.Time{Time: epoch}, CreatedBy: fmt.Sprintf("pullwarden testimage %s layer %d", what, i)},
		})
	}
	if img, err = mutate.Append(img, adds...); err != nil {
		return nil, err
	}
	// Compute now so errors surface here rather than at push time.
	if _, err := img.Digest(); err != nil {
		return nil, err
	}
	return img, nil
}

// NewFiles builds a one-layer image holding files, with cfg as its runtime
// config (Env defaults to a standard PATH).
func NewFiles(files []File, cfg v1.Config, opts ...Option) (v1.Image, error) {
	l, err := NewFilesLayer(files, opts...)
	if err != nil {
		return nil, err
	}
	return build(newOptions(opts), []v1.Layer{l}, cfg, "files")
}

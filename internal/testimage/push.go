package testimage

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Write pushes an image (v1.Image) or index (v1.ImageIndex) to ref over
// plain HTTP and returns its manifest digest. A nil auth is anonymous.
func Write(ctx context.Context, x remote.Taggable, ref string, auth authn.Authenticator) (v1.Hash, error) {
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		return v1.Hash{}, fmt.Errorf("testimage: %w", err)
	}
	if auth == nil {
		auth = authn.Anonymous
	}
	opts := []remote.Option{remote.WithContext(ctx), remote.WithAuth(auth)}
	var d v1.Hash
	switch v := x.(type) {
	case v1.ImageIndex:
		if d, err = v.Digest(); err == nil {
			err = remote.WriteIndex(r, v, opts...)
		}
	case v1.Image:
		if d, err = v.Digest(); err == nil {
			err = remote.Write(r, v, opts...)
		}
	default:
		return v1.Hash{}, fmt.Errorf("testimage: push %T: neither an image nor an index", x)
	}
	if err != nil {
		return v1.Hash{}, fmt.Errorf("testimage: push %s: %w", ref, err)
	}
	return d, nil
}

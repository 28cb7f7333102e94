package main

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Spec is what goes into the image.
type Spec struct {
	Binary   string // path of the static binary, put at /pullwarden
	CABundle string // path of a CA bundle, put at /etc/ssl/certs/ca-certificates.crt; empty: none
	Platform string // "os/arch"
}

// entry is one file of the layer.
type entry struct {
	path string
	mode int64
	data []byte
}

// Build returns the image of spec, the same digest for the same inputs.
func Build(spec Spec) (v1.Image, error) {
	osName, arch, ok := strings.Cut(spec.Platform, "/")
	if !ok || osName == "" || arch == "" {
		return nil, fmt.Errorf("-platform %q: want os/arch, e.g. linux/amd64", spec.Platform)
	}
	bin, err := os.ReadFile(spec.Binary)
	if err != nil {
		return nil, fmt.Errorf("the binary: %w", err)
	}
	if len(bin) < 4 || string(bin[:4]) != "\x7fELF" {
		return nil, fmt.Errorf("the binary %s is not an ELF executable", spec.Binary)
	}
	files := []entry{{path: "pullwarden", mode: 0o755, data: bin}}
	if spec.CABundle != "" {
		ca, err := os.ReadFile(spec.CABundle)
		if err != nil {
			return nil, fmt.Errorf("the CA bundle: %w", err)
		}
		files = append(files, entry{path: "etc/ssl/certs/ca-certificates.crt", mode: 0o644, data: ca})
	}
	layerTar, err := tarOf(files)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	})
	if err != nil {
		return nil, fmt.Errorf("the layer: %w", err)
	}
	img, err := mutate.Append(empty.Image, mutate.Addendum{
		Layer:   layer,
		History: v1.History{CreatedBy: "imagebuild: /pullwarden and CA certificates", Created: v1.Time{Time: time.Unix(0, 0).UTC()}},
	})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = osName, arch
	cf.Created = v1.Time{Time: time.Unix(0, 0).UTC()}
	cf.Config.Entrypoint = []string{"/pullwarden"}
	cf.Config.Env = []string{"PATH=/", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"}
	cf.Config.Labels = map[string]string{"org.opencontainers.image.source": "https://github.com/pullwarden/pullwarden"}
	return mutate.ConfigFile(img, cf)
}

// tarOf writes files, with their parent directories, with zero times and
// root ownership.
func tarOf(files []entry) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	epoch := time.Unix(0, 0).UTC()
	// The root first: without an entry of its own the runtime may make it
	// 0700, and a non-root user could not reach /pullwarden.
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: "./", Mode: 0o755, ModTime: epoch, Format: tar.FormatPAX}); err != nil {
		return nil, err
	}
	dirs := map[string]bool{}
	for _, f := range files {
		parts := strings.Split(f.path, "/")
		for i := 1; i < len(parts); i++ {
			d := strings.Join(parts[:i], "/") + "/"
			if dirs[d] {
				continue
			}
			dirs[d] = true
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d, Mode: 0o755, ModTime: epoch, Format: tar.FormatPAX}); err != nil {
				return nil, err
			}
		}
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: f.path, Mode: f.mode, Size: int64(len(f.data)), ModTime: epoch, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Tag is the content tag of img: "c-" and the first 16 hex digits of its
// digest.
func Tag(img v1.Image) (string, error) {
	d, err := img.Digest()
	if err != nil {
		return "", err
	}
	return "c-" + d.Hex[:16], nil
}

// Push writes img to repo under its content tag and returns
// REPO:TAG@DIGEST.
func Push(ctx context.Context, img v1.Image, repo string, insecure bool) (string, error) {
	tag, err := Tag(img)
	if err != nil {
		return "", err
	}
	var opts []name.Option
	if insecure {
		opts = append(opts, name.Insecure)
	}
	ref, err := name.NewTag(repo+":"+tag, opts...)
	if err != nil {
		return "", fmt.Errorf("-repo %q: %w", repo, err)
	}
	if err := remote.Write(ref, img, remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)); err != nil {
		return "", fmt.Errorf("push %s: %w", ref, err)
	}
	d, err := img.Digest()
	if err != nil {
		return "", err
	}
	return ref.String() + "@" + d.String(), nil
}

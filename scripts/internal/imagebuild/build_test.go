package main

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestBuildPushIsReproducible pushes the image to an in-process registry,
// reads it back and checks its files, entrypoint, platform and that the
// same inputs give the same tag and digest.
func TestBuildPushIsReproducible(t *testing.T) {
	srv := httptest.NewServer(registry.New())
	defer srv.Close()
	repo := strings.TrimPrefix(srv.URL, "http://") + "/pullwarden"
	bin := writeFile(t, "bin", []byte("\x7fELF fake static binary"))
	ca := writeFile(t, "ca.crt", []byte("-----BEGIN CERTIFICATE-----\n"))
	spec := Spec{Binary: bin, CABundle: ca, Platform: "linux/arm64"}

	var refs []string
	for i := 0; i < 2; i++ {
		img, err := Build(spec)
		if err != nil {
			t.Fatal(err)
		}
		ref, err := Push(context.Background(), img, repo, false)
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, ref)
	}
	if refs[0] != refs[1] {
		t.Fatalf("same inputs, different images: %s and %s", refs[0], refs[1])
	}
	if !strings.HasPrefix(refs[0], repo+":c-") || !strings.Contains(refs[0], "@sha256:") {
		t.Fatalf("pushed ref %q: want %s:c-HEX@sha256:...", refs[0], repo)
	}

	ref, err := name.ParseReference(refs[0][:strings.Index(refs[0], "@")])
	if err != nil {
		t.Fatal(err)
	}
	got, err := remote.Image(ref)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := got.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.OS != "linux" || cf.Architecture != "arm64" {
		t.Errorf("platform %s/%s, want linux/arm64", cf.OS, cf.Architecture)
	}
	if len(cf.Config.Entrypoint) != 1 || cf.Config.Entrypoint[0] != "/pullwarden" {
		t.Errorf("entrypoint %q, want [/pullwarden]", cf.Config.Entrypoint)
	}
	layers, err := got.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("layers %d, %v: want one", len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	modes := map[string]int64{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		modes[h.Name] = h.Mode
		if h.ModTime.Unix() != 0 {
			t.Errorf("%s: mtime %v, want the epoch", h.Name, h.ModTime)
		}
	}
	if modes["pullwarden"] != 0o755 {
		t.Errorf("/pullwarden mode %o (present: %v), want 755", modes["pullwarden"], modes)
	}
	if modes["./"] != 0o755 {
		t.Errorf("root directory mode %o, want 755 (a non-root user must reach /pullwarden)", modes["./"])
	}
	if _, ok := modes["etc/ssl/certs/ca-certificates.crt"]; !ok {
		t.Errorf("no CA bundle in the layer: %v", modes)
	}
}

// TestBuildRejectsBadInput: a non-ELF binary and a bad platform are named.
func TestBuildRejectsBadInput(t *testing.T) {
	script := writeFile(t, "script", []byte("#!/bin/sh\n"))
	if _, err := Build(Spec{Binary: script, Platform: "linux/amd64"}); err == nil || !strings.Contains(err.Error(), "not an ELF") {
		t.Errorf("script as binary: %v, want a 'not an ELF' error", err)
	}
	bin := writeFile(t, "bin", []byte("\x7fELF"))
	if _, err := Build(Spec{Binary: bin, Platform: "amd64"}); err == nil || !strings.Contains(err.Error(), "os/arch") {
		t.Errorf("platform amd64: %v, want an os/arch error", err)
	}
}

package testimage_test

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/pullwarden/pullwarden/internal/testimage"
	"github.com/pullwarden/pullwarden/internal/testregistry"
)

func sha(t *testing.T, open func() (io.ReadCloser, error)) (string, int64) {
	t.Helper()
	rc, err := open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, rc)
	if err != nil {
		t.Fatal(err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), n
}

func digest(t *testing.T, x interface{ Digest() (v1.Hash, error) }) string {
	t.Helper()
	d, err := x.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

// tarEntries lists a layer's uncompressed tar: name -> header.
func tarEntries(t *testing.T, l v1.Layer) map[string]*tar.Header {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	out := map[string]*tar.Header{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out[h.Name] = h
	}
}

func TestRandom(t *testing.T) {
	t.Parallel()
	const size = 100_000
	for _, tc := range []struct {
		name            string
		opts            []testimage.Option
		manifest, layer types.MediaType
	}{
		{"oci gzip", nil, types.OCIManifestSchema1, types.OCILayer},
		{"oci tar", []testimage.Option{testimage.Uncompressed()}, types.OCIManifestSchema1, types.OCIUncompressedLayer},
		{"docker gzip", []testimage.Option{testimage.WithDockerMediaTypes()}, types.DockerManifestSchema2, types.DockerLayer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			img := testimage.Random(t, 3, size, tc.opts...)
			var vopts []validate.Option
			if tc.layer == types.OCIUncompressedLayer {
				// validate reads layers as gzip; the digests are checked below.
				vopts = append(vopts, validate.Fast)
			}
			if err := validate.Image(img, vopts...); err != nil {
				t.Fatal(err)
			}
			if mt, _ := img.MediaType(); mt != tc.manifest {
				t.Errorf("manifest media type %s, want %s", mt, tc.manifest)
			}
			cf, err := img.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			if cf.OS != runtime.GOOS || cf.Architecture != runtime.GOARCH {
				t.Errorf("config platform %s/%s, want host", cf.OS, cf.Architecture)
			}
			layers, err := img.Layers()
			if err != nil || len(layers) != 3 {
				t.Fatalf("layers: %d %v", len(layers), err)
			}
			seen := map[string]bool{}
			for _, l := range layers {
				if mt, _ := l.MediaType(); mt != tc.layer {
					t.Errorf("layer media type %s, want %s", mt, tc.layer)
				}
				diffID, n := sha(t, l.Uncompressed)
				// header 512 + data padded to 512 + 1024 trailer
				if want := int64(512 + (size+511)/512*512 + 1024); n != want {
					t.Errorf("uncompressed size %d, want %d", n, want)
				}
				if d, _ := l.DiffID(); d.String() != diffID {
					t.Errorf("DiffID %s, content hashes to %s", d, diffID)
				}
				dg, cn := sha(t, l.Compressed)
				if d, _ := l.Digest(); d.String() != dg {
					t.Errorf("Digest %s, content hashes to %s", d, dg)
				}
				if s, _ := l.Size(); s != cn || cn < size {
					t.Errorf("Size %d, compressed %d bytes, data %d: not incompressible", s, cn, size)
				}
				seen[dg] = true
			}
			if len(seen) != 3 {
				t.Errorf("layers are not distinct: %v", seen)
			}
		})
	}
}

func TestRandomSeed(t *testing.T) {
	t.Parallel()
	a := digest(t, testimage.Random(t, 2, 1000, testimage.WithSeed(7)))
	b := digest(t, testimage.Random(t, 2, 1000, testimage.WithSeed(7)))
	c := digest(t, testimage.Random(t, 2, 1000, testimage.WithSeed(8)))
	d := digest(t, testimage.Random(t, 2, 1000))
	e := digest(t, testimage.Random(t, 2, 1000))
	if a != b {
		t.Errorf("same seed, different digests %s %s", a, b)
	}
	if a == c || d == e {
		t.Errorf("different seeds gave equal digests: %s %s / %s %s", a, c, d, e)
	}
}

func TestRandomRejectsBadArgs(t *testing.T) {
	t.Parallel()
	if _, err := testimage.NewRandom(0, 10); err == nil {
		t.Error("0 layers accepted")
	}
	if _, err := testimage.NewRandom(1, -1); err == nil {
		t.Error("negative size accepted")
	}
}

func TestBusybox(t *testing.T) {
	t.Parallel()
	img := testimage.Busybox(t)
	if err := validate.Image(img); err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if len(cf.Config.Cmd) != 1 || cf.Config.Cmd[0] != "sh" || cf.OS != runtime.GOOS {
		t.Errorf("config %+v", cf)
	}
	layers, _ := img.Layers()
	entries := tarEntries(t, layers[0])
	fi, err := os.Stat(testimage.BusyboxPath)
	if err != nil {
		t.Fatal(err)
	}
	if h := entries["bin/busybox"]; h == nil || h.Size != fi.Size() || h.Mode&0o111 == 0 {
		t.Fatalf("bin/busybox entry %+v", h)
	}
	for _, a := range []string{"sh", "echo", "sleep", "nc", "cat", "ls", "true", "false", "env", "wget"} {
		if h := entries["bin/"+a]; h == nil || h.Typeflag != tar.TypeSymlink || h.Linkname != "busybox" {
			t.Errorf("bin/%s entry %+v", a, h)
		}
	}
}

func TestPauseExitsOnSIGTERM(t *testing.T) {
	// Not parallel: it writes an executable and runs it; a fork elsewhere
	// while the file is open for writing would make exec fail (ETXTBSY).
	img := testimage.Pause(t)
	cf, _ := img.ConfigFile()
	if len(cf.Config.Entrypoint) != 1 || cf.Config.Entrypoint[0] != "/pause" {
		t.Fatalf("entrypoint %v", cf.Config.Entrypoint)
	}
	layers, _ := img.Layers()
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	if h, err := tr.Next(); err != nil || h.Name != "pause" {
		t.Fatalf("first entry %v %v", h, err)
	}
	bin := filepath.Join(t.TempDir(), "pause")
	f, err := os.OpenFile(bin, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(f, tr); err != nil {
		t.Fatal(err)
	}
	f.Close()

	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		cmd := exec.CommandContext(t.Context(), bin, "--print-ready")
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(out).ReadString('\n')
		if err != nil || line != "ready\n" {
			t.Fatalf("pause said %q %v", line, err)
		}
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Wait(); err != nil {
			t.Errorf("after %v: %v, want exit 0", sig, err)
		}
	}
}

func TestIndex(t *testing.T) {
	t.Parallel()
	idx := testimage.Index(t, map[string]v1.Image{
		"linux/arm64":   testimage.Random(t, 1, 100),
		"linux/amd64":   testimage.Random(t, 1, 100),
		"linux/arm/v7":  testimage.Random(t, 1, 100),
		"windows/amd64": testimage.Random(t, 1, 100, testimage.WithPlatform(v1.Platform{OS: "windows", Architecture: "amd64"})),
	})
	if err := validate.Index(idx); err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if im.MediaType != types.OCIImageIndex {
		t.Errorf("index media type %s", im.MediaType)
	}
	want := []string{"linux/amd64", "linux/arm/v7", "linux/arm64", "windows/amd64"}
	if len(im.Manifests) != len(want) {
		t.Fatalf("%d manifests", len(im.Manifests))
	}
	for i, m := range im.Manifests {
		if m.Platform == nil || m.Platform.String() != want[i] {
			t.Fatalf("entry %d platform %v, want %s", i, m.Platform, want[i])
		}
		img, err := idx.Image(m.Digest)
		if err != nil {
			t.Fatal(err)
		}
		cf, _ := img.ConfigFile()
		if got := (&v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant}).String(); got != want[i] {
			t.Errorf("entry %d config platform %s, want %s", i, got, want[i])
		}
	}
}

// TestPush pushes every kind of image to both registries and reads it back.
func TestPush(t *testing.T) {
	t.Parallel()
	for _, s := range []struct {
		name  string
		start func(testing.TB, ...testregistry.Option) *testregistry.Registry
		opts  []testregistry.Option
	}{
		{"in-process", testregistry.StartInProcess, nil},
		{"docker-registry", testregistry.Start, nil},
		{"docker-registry basic auth", testregistry.Start, []testregistry.Option{testregistry.WithHtpasswd("bob", "pw")}},
	} {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			reg := s.start(t, s.opts...)
			auth := reg.Authenticator()
			opts := []remote.Option{remote.WithContext(t.Context()), remote.WithAuth(auth)}

			images := map[string]v1.Image{
				"random:1":  testimage.Random(t, 2, 50_000),
				"busybox:1": testimage.Busybox(t),
				"pause:1":   testimage.Pause(t),
			}
			for tag, img := range images {
				ref := reg.Ref("test/" + tag)
				if got, want := testimage.Push(t, img, ref, auth).String(), digest(t, img); got != want {
					t.Errorf("%s: Push returned %s, want %s", tag, got, want)
				}
				back, err := remote.Image(parse(t, ref), opts...)
				if err != nil {
					t.Fatal(err)
				}
				if err := validate.Image(back); err != nil {
					t.Errorf("%s read back: %v", tag, err)
				}
				if digest(t, back) != digest(t, img) {
					t.Errorf("%s read back with another digest", tag)
				}
			}

			idx := testimage.Index(t, map[string]v1.Image{
				"linux/amd64": testimage.Random(t, 1, 1000),
				"linux/arm64": testimage.Random(t, 1, 1000),
			})
			ref := reg.Ref("test/multi:1")
			testimage.Push(t, idx, ref, auth)
			backIdx, err := remote.Index(parse(t, ref), opts...)
			if err != nil {
				t.Fatal(err)
			}
			if err := validate.Index(backIdx); err != nil {
				t.Error(err)
			}
			if digest(t, backIdx) != digest(t, idx) {
				t.Error("index read back with another digest")
			}
		})
	}
}

func TestPushRejectsOtherTypes(t *testing.T) {
	t.Parallel()
	reg := testregistry.StartInProcess(t)
	if _, err := testimage.Write(t.Context(), rawManifest("{}"), reg.Ref("x/y:1"), authn.Anonymous); err == nil {
		t.Error("pushing a bare manifest was accepted")
	}
}

func parse(t *testing.T, ref string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

type rawManifest string

func (r rawManifest) RawManifest() ([]byte, error) { return []byte(r), nil }

func TestFiles(t *testing.T) {
	t.Parallel()
	img := testimage.Files(t, []testimage.File{
		{Path: "etc/", Dir: true},
		{Path: "etc/motd", Data: []byte("hello\n")},
		{Path: "motd", Linkname: "etc/motd"},
	}, v1.Config{Cmd: []string{"cat", "/motd"}})
	layers, _ := img.Layers()
	rc, err := layers[0].Compressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	zr, err := gzip.NewReader(rc)
	if err != nil {
		t.Fatalf("compressed layer is not gzip: %v", err)
	}
	tr := tar.NewReader(zr)
	var names []string
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if h.Name == "etc/motd" {
			b, _ := io.ReadAll(tr)
			if string(b) != "hello\n" {
				t.Errorf("etc/motd = %q", b)
			}
		}
	}
	if len(names) != 3 {
		t.Errorf("entries %v", names)
	}
}

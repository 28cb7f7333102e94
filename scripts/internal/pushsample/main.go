// Command pushsample builds a sample image in Go and pushes it to a registry
// over plain HTTP, for the demo and benchmark scripts. Its layers are
// incompressible random data (see internal/testimage), optionally topped by a
// busybox layer so the image can run.
//
//	pushsample -ref 127.0.0.1:5000/demo/app:1 -layers 3 -layer-size 10MiB -busybox
//
// It prints one line "pushed REF@DIGEST LAYERS layers BYTES bytes" and, with
// -layers-out FILE, writes the layer digests one per line to FILE.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/pullwarden/pullwarden/internal/testimage"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "pushsample:", err)
		os.Exit(1)
	}
}

func run() error {
	ref := flag.String("ref", "", "image reference to push to, e.g. 127.0.0.1:5000/demo/app:1 (required)")
	layers := flag.Int("layers", 3, "number of random layers")
	sizeStr := flag.String("layer-size", "10MiB", "bytes of random data per layer (suffixes KB, MB, GB, KiB, MiB, GiB)")
	busybox := flag.Bool("busybox", false, "add a busybox layer on top and make `sh` the command")
	uncompressed := flag.Bool("uncompressed", false, "store layers as plain tar (what travels is the data size)")
	seed := flag.Uint64("seed", 0, "seed for the random data (0: a random seed)")
	layersOut := flag.String("layers-out", "", "write the layer digests to this file, one per line")
	user := flag.String("username", "", "registry user name (password from env PUSHSAMPLE_PASSWORD)")
	pause := flag.Bool("pause", false, "push a pause image (a tiny static binary that sleeps until signalled) instead")
	flag.Parse()
	if *ref == "" || flag.NArg() != 0 {
		flag.Usage()
		return errors.New("-ref is required and no arguments are taken")
	}
	size, err := parseSize(*sizeStr)
	if err != nil {
		return err
	}
	var opts []testimage.Option
	if *uncompressed {
		opts = append(opts, testimage.Uncompressed())
	}
	if *seed != 0 {
		opts = append(opts, testimage.WithSeed(*seed))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var img v1.Image
	switch {
	case *pause:
		img, err = testimage.NewPause(ctx, opts...)
	case *layers == 0 && *busybox:
		img, err = testimage.NewBusybox(opts...)
		*busybox = false
	default:
		img, err = testimage.NewRandom(*layers, size, opts...)
	}
	if err != nil {
		return err
	}
	if *busybox {
		if img, err = addBusybox(img, opts); err != nil {
			return err
		}
	}
	var auth authn.Authenticator = authn.Anonymous
	if *user != "" {
		auth = &authn.Basic{Username: *user, Password: os.Getenv("PUSHSAMPLE_PASSWORD")}
	}
	d, err := testimage.Write(ctx, img, *ref, auth)
	if err != nil {
		return err
	}
	return report(img, *ref, d, *layersOut)
}

// addBusybox appends the busybox image's layer and takes its command.
func addBusybox(img v1.Image, opts []testimage.Option) (v1.Image, error) {
	bb, err := testimage.NewBusybox(opts...)
	if err != nil {
		return nil, err
	}
	bbLayers, err := bb.Layers()
	if err != nil {
		return nil, err
	}
	img, err = mutate.AppendLayers(img, bbLayers...)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg := cf.Config
	cfg.Cmd = []string{"sh"}
	return mutate.Config(img, cfg)
}

func report(img v1.Image, ref string, d v1.Hash, layersOut string) error {
	ls, err := img.Layers()
	if err != nil {
		return err
	}
	var total int64
	var lines []string
	for _, l := range ls {
		ld, err := l.Digest()
		if err != nil {
			return err
		}
		n, err := l.Size()
		if err != nil {
			return err
		}
		total += n
		lines = append(lines, ld.String())
	}
	if layersOut != "" {
		if err := os.WriteFile(layersOut, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			return err
		}
	}
	name, _, _ := strings.Cut(ref, "@")
	fmt.Printf("pushed %s@%s %d layers %d bytes\n", name, d, len(ls), total)
	return nil
}

// parseSize reads "10MiB", "50MB", "4096".
func parseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSuffix(s, u.suffix), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return n * mult, nil
}

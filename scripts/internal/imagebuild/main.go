// Command imagebuild makes pullwarden's container image without a Docker
// engine, with go-containerregistry, and pushes it to a registry:
//
//	imagebuild -binary bin/pullwarden-linux -repo 127.0.0.1:5000/pullwarden
//
// The image has one layer holding the static binary at /pullwarden (mode
// 0755) and the CA certificates at /etc/ssl/certs/ca-certificates.crt, the
// entrypoint /pullwarden and the platform of -platform. Every timestamp is
// zero, so the same binary and certificates give the same digest; the tag is
// taken from that digest ("c-" and its first 16 hex digits), and pushing it
// again changes nothing. It prints one line, REPO:TAG@DIGEST.
//
// Plain HTTP is used for a loopback registry (go-containerregistry's own
// rule for localhost and 127.0.0.1) or with -insecure.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "imagebuild:", err)
		os.Exit(1)
	}
}

func run() error {
	binary := flag.String("binary", "", "static linux binary to put at /pullwarden (required)")
	repo := flag.String("repo", "", "repository to push to, e.g. 127.0.0.1:5000/pullwarden (required)")
	ca := flag.String("ca", "/etc/ssl/certs/ca-certificates.crt", "CA bundle to put at /etc/ssl/certs/ca-certificates.crt (empty: none)")
	platform := flag.String("platform", "linux/"+runtime.GOARCH, "os/arch of the image")
	insecure := flag.Bool("insecure", false, "plain HTTP to the registry even when it is not on loopback")
	flag.Parse()
	if *binary == "" || *repo == "" || flag.NArg() != 0 {
		flag.Usage()
		return errors.New("-binary and -repo are required and no arguments are taken")
	}
	spec := Spec{Binary: *binary, CABundle: *ca, Platform: *platform}
	img, err := Build(spec)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ref, err := Push(ctx, img, *repo, *insecure)
	if err != nil {
		return err
	}
	fmt.Println(ref)
	return nil
}

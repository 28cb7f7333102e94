// Command fetchprof pulls one image into a fresh OCI layout store through
// registry.Fetch, as `pullwarden pull` does, and tells where the time went:
// the phases of the pull from the progress reports, and optionally a CPU
// profile and an execution trace of the whole fetch.
//
//	go run ./bench/fetchprof -ref 127.0.0.1:5000/bench/big:1 -cpuprofile cpu.out
//	go tool pprof -top cpu.out
//
// It is a benchmark tool: it talks only to the registry it is given.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/pullwarden/pullwarden/reference"
	"github.com/pullwarden/pullwarden/registry"
	"github.com/pullwarden/pullwarden/store/ocilayout"
)

func main() {
	ref := flag.String("ref", "", "image reference to pull (required)")
	dir := flag.String("store", "", "store directory; default: a temp dir removed at the end")
	parallel := flag.Int("parallel", 0, "concurrent blob downloads (0: registry.DefaultParallel)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the fetch to this file")
	traceOut := flag.String("trace", "", "write an execution trace of the fetch to this file")
	flag.Parse()
	if err := run(context.Background(), *ref, *dir, *parallel, *cpuprofile, *traceOut); err != nil {
		fmt.Fprintln(os.Stderr, "fetchprof:", err)
		os.Exit(1)
	}
}

// blobTimes are the moments one blob's reports arrived.
type blobTimes struct {
	size                   int64
	start, verifying, done time.Duration
}

func run(ctx context.Context, image, dir string, parallel int, cpuprofile, traceOut string) error {
	if image == "" {
		return fmt.Errorf("-ref is required")
	}
	ref, err := reference.Parse(image)
	if err != nil {
		return err
	}
	if dir == "" {
		if dir, err = os.MkdirTemp("", "fetchprof-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	t0 := time.Now()
	st, err := ocilayout.Open(dir)
	if err != nil {
		return err
	}
	opened := time.Since(t0)
	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if traceOut != "" {
		f, err := os.Create(traceOut)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := trace.Start(f); err != nil {
			return err
		}
		defer trace.Stop()
	}
	times := map[v1.Hash]*blobTimes{}
	var firstReport time.Duration
	progress := func(p registry.Progress) {
		now := time.Since(t0)
		if firstReport == 0 {
			firstReport = now
		}
		b := times[p.Digest]
		if b == nil {
			b = &blobTimes{size: p.Total}
			times[p.Digest] = b
		}
		switch p.State {
		case registry.Downloading, registry.Resuming:
			if b.start == 0 {
				b.start = now
			}
		case registry.Verifying:
			b.verifying = now
		case registry.Done:
			b.done = now
		}
	}
	res, err := registry.New(registry.Options{Parallel: parallel}).Fetch(ctx, ref, nil, st, progress)
	if err != nil {
		return err
	}
	total := time.Since(t0)
	report(times, opened, firstReport, total, res)
	return nil
}

func report(times map[v1.Hash]*blobTimes, opened, firstReport, total time.Duration, res registry.Result) {
	ms := func(d time.Duration) string { return fmt.Sprintf("%7.1f ms", float64(d.Microseconds())/1000) }
	var ds []v1.Hash
	for h, b := range times {
		if b.start > 0 {
			ds = append(ds, h)
		}
	}
	slices.SortFunc(ds, func(a, b v1.Hash) int { return int(times[a].start - times[b].start) })
	var firstStart, lastByte, lastDone, commitSum time.Duration
	fmt.Printf("%-14s %12s %10s %10s %10s %10s\n", "blob", "bytes", "start", "last byte", "committed", "commit")
	for _, h := range ds {
		b := times[h]
		if firstStart == 0 || b.start < firstStart {
			firstStart = b.start
		}
		lastByte = max(lastByte, b.verifying)
		lastDone = max(lastDone, b.done)
		commitSum += b.done - b.verifying
		fmt.Printf("%-14s %12d %s %s %s %s\n", h.Hex[:12], b.size, ms(b.start), ms(b.verifying), ms(b.done), ms(b.done-b.verifying))
	}
	fmt.Println()
	fmt.Printf("store open                         %s\n", ms(opened))
	fmt.Printf("auth + resolve + manifest          %s\n", ms(firstReport-opened))
	fmt.Printf("first blob GET after               %s\n", ms(firstStart))
	fmt.Printf("transfer (first start..last byte)  %s  %.0f MB/s\n", ms(lastByte-firstStart),
		float64(res.Downloaded)/1e6/(lastByte-firstStart).Seconds())
	fmt.Printf("after last byte until last commit  %s\n", ms(lastDone-lastByte))
	fmt.Printf("commit (fsync+rename) per blob     %s mean\n", ms(commitSum/time.Duration(max(len(ds), 1))))
	fmt.Printf("manifests + end                    %s\n", ms(total-lastDone))
	fmt.Printf("total                              %s  %d bytes downloaded\n", ms(total), res.Downloaded)
}

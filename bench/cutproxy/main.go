// Command cutproxy is the benchmark's fault proxy: it forwards to a
// registry and cuts the connection of every blob download twice, at one
// third and two thirds of the blob (each response is cut after a third of
// the blob's size). SIGHUP re-arms the cuts for the next run.
//
//	cutproxy -upstream http://127.0.0.1:5000 -blobs blobs.txt
//
// blobs.txt holds "DIGEST SIZE" per line. The proxy listens on a free
// loopback port and prints "listening on 127.0.0.1:PORT".
package main

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"regexp"
	"strconv"
	"strings"
	"syscall"

	"github.com/pullwarden/pullwarden/internal/faultproxy"
)

func main() {
	upstream := flag.String("upstream", "", "registry base URL (required)")
	blobs := flag.String("blobs", "", `file of "DIGEST SIZE" lines: the blobs to cut (required)`)
	flag.Parse()
	if *upstream == "" || *blobs == "" {
		flag.Usage()
		os.Exit(2)
	}
	rules, err := readRules(*blobs)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cutproxy:", err)
		os.Exit(1)
	}
	p, err := faultproxy.New(*upstream)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cutproxy:", err)
		os.Exit(1)
	}
	arm := func() {
		p.Reset()
		for _, r := range rules {
			p.Add(r)
		}
	}
	arm()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		for range hup {
			arm()
		}
	}()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "cutproxy:", err)
		os.Exit(1)
	}
	fmt.Println("listening on", l.Addr())
	fmt.Fprintln(os.Stderr, http.Serve(l, p))
	os.Exit(1)
}

func readRules(path string) ([]faultproxy.Rule, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var rules []faultproxy.Rule
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 2 {
			continue
		}
		size, err := strconv.ParseInt(fields[1], 10, 64)
		if err != nil || size < 3 {
			continue
		}
		rules = append(rules, faultproxy.Rule{
			Method: http.MethodGet,
			Path:   "/blobs/" + regexp.QuoteMeta(fields[0]) + "$",
			Times:  2,
			Fault:  faultproxy.Fault{Kind: faultproxy.Cut, N: size / 3},
		})
	}
	return rules, sc.Err()
}

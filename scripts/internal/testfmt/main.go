// Command testfmt turns `go test -json` on stdin into a short live report:
// one line per package as soon as it finishes (go test itself prints them
// in package order, so one slow package early in the list hides every
// result behind it), the output of each failed test, and at the end the
// slowest tests and the total time. It exits 1 when anything failed.
//
//	go test -json ./... | go run ./scripts/internal/testfmt
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"
)

// event is one line of test2json output.
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
	Elapsed float64
}

type timing struct {
	name    string
	elapsed float64
}

func main() {
	os.Exit(run(os.Stdin, os.Stdout, 10))
}

func run(in io.Reader, out io.Writer, slowest int) int {
	start := time.Now()
	outputs := map[string][]string{} // package/test -> output lines
	var tests []timing
	failed := 0
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			// Not test2json (a build error): pass it through.
			fmt.Fprintln(out, sc.Text())
			continue
		}
		key := e.Package + " " + e.Test
		switch e.Action {
		case "output":
			outputs[key] = append(outputs[key], e.Output)
		case "pass", "skip":
			if e.Test != "" && e.Action == "pass" && !strings.Contains(e.Test, "/") {
				tests = append(tests, timing{e.Package + " " + e.Test, e.Elapsed})
			}
			if e.Test == "" {
				word := "ok  "
				if e.Action == "skip" {
					word = "skip"
				}
				fmt.Fprintf(out, "%s %-60s %6.1fs\n", word, e.Package, e.Elapsed)
			}
			delete(outputs, key)
		case "fail":
			failed++
			if e.Test != "" {
				fmt.Fprintf(out, "--- FAIL: %s %s (%.1fs)\n%s", e.Package, e.Test, e.Elapsed, strings.Join(outputs[key], ""))
			} else {
				fmt.Fprintf(out, "FAIL %-60s %6.1fs\n%s", e.Package, e.Elapsed, strings.Join(outputs[key], ""))
			}
			delete(outputs, key)
		}
	}
	sort.Slice(tests, func(i, j int) bool { return tests[i].elapsed > tests[j].elapsed })
	if len(tests) > slowest {
		tests = tests[:slowest]
	}
	if len(tests) > 0 {
		fmt.Fprintln(out, "slowest tests:")
		for _, t := range tests {
			fmt.Fprintf(out, "  %6.1fs  %s\n", t.elapsed, t.name)
		}
	}
	fmt.Fprintf(out, "total %s\n", time.Since(start).Round(time.Second))
	if failed > 0 {
		return 1
	}
	return 0
}

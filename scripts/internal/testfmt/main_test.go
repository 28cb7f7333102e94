package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestReport(t *testing.T) {
	in := strings.Join([]string{
		`{"Action":"run","Package":"p/a","Test":"TestX"}`,
		`{"Action":"output","Package":"p/a","Test":"TestX","Output":"boom\n"}`,
		`{"Action":"fail","Package":"p/a","Test":"TestX","Elapsed":1.5}`,
		`{"Action":"fail","Package":"p/a","Elapsed":2}`,
		`{"Action":"pass","Package":"p/b","Test":"TestY","Elapsed":3}`,
		`{"Action":"pass","Package":"p/b","Elapsed":3.2}`,
		`# p/c [build failed]`,
	}, "\n")
	var out bytes.Buffer
	if code := run(strings.NewReader(in), &out, 10); code != 1 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"--- FAIL: p/a TestX (1.5s)\nboom\n", "FAIL p/a", "ok   p/b", "# p/c [build failed]", "     3.0s  p/b TestY"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

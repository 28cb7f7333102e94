package yamldoc

import (
	"bytes"
	"testing"
)

// FuzzSplit checks the document split of untrusted files (manifests for
// apply, Secret files for pull): it never panics, the parts cover the input
// exactly (each part followed by its separator line), each non-empty
// part's Line is where its text starts, and ToJSON never panics on a part.
func FuzzSplit(f *testing.F) {
	for _, s := range []string{
		"apiVersion: v1\nkind: Secret\n---\napiVersion: v1\nkind: Pod\n",
		"---\n---   \n--- \n",
		"# comment\n---\n{\"a\":1}{\"b\":2}\n",
		"a: [\n---\nb: 1",
		"----\n--- x\n---\r\n",
		"{\"a\":\n",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		parts := Split(data)
		if len(parts) == 0 {
			t.Fatal("no parts")
		}
		pos := 0
		for i, p := range parts {
			if !bytes.Equal(data[pos:pos+len(p.Data)], p.Data) {
				t.Fatalf("part %d is not the input at offset %d", i, pos)
			}
			// (An empty last part after a final "---" without a newline has
			// no line of its own.)
			if want := 1 + bytes.Count(data[:pos], []byte("\n")); len(p.Data) > 0 && p.Line != want {
				t.Fatalf("part %d: Line %d, want %d", i, p.Line, want)
			}
			pos += len(p.Data)
			if i < len(parts)-1 {
				end := bytes.IndexByte(data[pos:], '\n')
				if end < 0 {
					end = len(data) - pos - 1
				}
				sep := data[pos : pos+end+1]
				if !bytes.HasPrefix(sep, []byte("---")) || len(bytes.TrimSpace(sep[3:])) != 0 {
					t.Fatalf("part %d is followed by %q, not a separator line", i, sep)
				}
				pos += end + 1
			}
			_, _ = ToJSON(p)
		}
		if pos != len(data) {
			t.Fatalf("parts cover %d of %d bytes", pos, len(data))
		}
	})
}

package yamldoc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"

	"sigs.k8s.io/yaml"
)

// Part is one document of a source.
type Part struct {
	// Data is the document's text, without the separator line.
	Data []byte
	// Line is the line of the source where Data starts, from 1.
	Line int
}

// Split splits data at lines that are exactly "---" (trailing space
// allowed), as the Kubernetes YAML reader does. Empty documents are kept
// (see IsEmpty) so that callers can count documents as they see fit.
func Split(data []byte) []Part {
	var parts []Part
	start, startLine, line := 0, 1, 1
	for pos := 0; pos < len(data); {
		end := bytes.IndexByte(data[pos:], '\n')
		next := len(data)
		if end >= 0 {
			next = pos + end + 1
		}
		l := data[pos:next]
		if bytes.HasPrefix(l, []byte("---")) && len(bytes.TrimSpace(l[3:])) == 0 {
			parts = append(parts, Part{Data: data[start:pos], Line: startLine})
			start, startLine = next, line+1
		}
		pos = next
		line++
	}
	return append(parts, Part{Data: data[start:], Line: startLine})
}

// IsEmpty tells whether a document holds only blanks and comments.
func IsEmpty(b []byte) bool {
	for _, l := range bytes.Split(b, []byte("\n")) {
		l = bytes.TrimSpace(l)
		if len(l) > 0 && l[0] != '#' {
			return false
		}
	}
	return true
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+):`)

// ToJSON converts one document to JSON values: a YAML document gives one, a
// JSON stream one per value. Syntax errors name the line in the source.
func ToJSON(p Part) ([][]byte, error) {
	trimmed := bytes.TrimSpace(p.Data)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		return splitJSON(p)
	}
	j, err := yaml.YAMLToJSON(p.Data)
	if err != nil {
		msg := err.Error()
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			n, _ := strconv.Atoi(m[1])
			msg = fmt.Sprintf("yaml: line %d:%s", n+p.Line-1, msg[len(m[0]):])
		}
		return nil, fmt.Errorf("error converting YAML to JSON: %s", msg)
	}
	return [][]byte{j}, nil
}

func splitJSON(p Part) ([][]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(p.Data))
	var out [][]byte
	for {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if err == nil {
			out = append(out, raw)
			continue
		}
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		off := dec.InputOffset()
		var se *json.SyntaxError
		if errors.As(err, &se) {
			off = se.Offset
		}
		if off > int64(len(p.Data)) {
			off = int64(len(p.Data))
		}
		line := p.Line + bytes.Count(p.Data[:off], []byte("\n"))
		return nil, fmt.Errorf("invalid JSON at line %d: %v", line, err)
	}
}

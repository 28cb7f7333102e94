// Command genopenapi cuts the Kubernetes API's published OpenAPI documents
// down to the kinds the node agent serves. It reads api/openapi-spec from the
// k8s.io/kubernetes module (the version the project targets) and writes the
// trimmed v2 and v3 documents (gzipped JSON) into apiserver/openapi, which
// the apiserver package embeds:
//
//	go run ./apiserver/internal/genopenapi -spec $(go env GOMODCACHE)/k8s.io/kubernetes@v1.37.2/api/openapi-spec -out apiserver/openapi
//
// Kept: the paths of pods (with status and log), secrets, serviceaccounts,
// events and namespaces (with status), their watch paths, and every schema
// those paths reach through $ref. Everything else (other resources,
// subresources the agent does not serve) is left out.
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// served matches the API paths the agent serves.
var served = regexp.MustCompile(`^/api/v1/(` +
	`(watch/)?(namespaces/\{namespace\}/)?(pods|secrets|serviceaccounts|events)(/\{name\})?` +
	`|namespaces/\{namespace\}/pods/\{name\}/(status|log)` +
	`|(watch/)?namespaces(/\{name\}(/status)?)?` +
	`)?$`)

func main() {
	spec := flag.String("spec", "", "the api/openapi-spec directory of the k8s.io/kubernetes module")
	out := flag.String("out", "apiserver/openapi", "output directory")
	flag.Parse()
	if *spec == "" {
		fmt.Fprintln(os.Stderr, "genopenapi: -spec is required")
		os.Exit(2)
	}
	if err := run(*spec, *out); err != nil {
		fmt.Fprintln(os.Stderr, "genopenapi:", err)
		os.Exit(1)
	}
}

func run(spec, out string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	if err := trim(filepath.Join(spec, "swagger.json"), filepath.Join(out, "v2.json.gz"), "definitions", "#/definitions/"); err != nil {
		return err
	}
	return trim(filepath.Join(spec, "v3", "api__v1_openapi.json"), filepath.Join(out, "v3-api-v1.json.gz"), "components", "#/components/schemas/")
}

// trim keeps the served paths of the document in src and the schemas they
// reach, and writes the result to dst.
func trim(src, dst, schemasKey, refPrefix string) error {
	raw, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	paths, _ := doc["paths"].(map[string]any)
	kept := map[string]any{}
	for p, v := range paths {
		if served.MatchString(p) {
			kept[p] = v
		}
	}
	doc["paths"] = kept
	var schemas map[string]any
	if schemasKey == "definitions" {
		schemas, _ = doc["definitions"].(map[string]any)
	} else {
		comps, _ := doc["components"].(map[string]any)
		schemas, _ = comps["schemas"].(map[string]any)
	}
	reached := map[string]any{}
	var queue []string
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if s, ok := x.(string); ok && k == "$ref" && strings.HasPrefix(s, refPrefix) {
					queue = append(queue, strings.TrimPrefix(s, refPrefix))
					continue
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(kept)
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		if _, done := reached[name]; done {
			continue
		}
		s, ok := schemas[name]
		if !ok {
			return fmt.Errorf("%s: $ref to missing schema %s", src, name)
		}
		reached[name] = s
		walk(s)
	}
	if schemasKey == "definitions" {
		doc["definitions"] = reached
	} else {
		doc["components"].(map[string]any)["schemas"] = reached
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return err
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if _, err := zw.Write(buf.Bytes()); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	fmt.Printf("%s: %d paths, %d schemas, %d bytes (%d gzipped)\n", dst, len(kept), len(reached), buf.Len(), gz.Len())
	return os.WriteFile(dst, gz.Bytes(), 0o644)
}

package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/pullwarden/pullwarden/yamldoc"
)

// MaxBytes is the largest manifest source accepted: the API server's request
// body limit (3 MiB).
const MaxBytes = 3 << 20

// Document is one decoded object and where it came from.
type Document struct {
	// Source is the file name, or STDIN.
	Source string
	// Index is the document number within Source, from 1. Items of a List
	// share the List's index.
	Index int
	// Line is the line in Source where the document starts, from 1.
	Line int
	// Object is the decoded object, not yet defaulted.
	Object Object
}

// TooLargeError reports a source over MaxBytes.
type TooLargeError struct {
	Source string
	Size   int64 // bytes seen: at least Limit+1
	Limit  int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s is too large: more than %d bytes (the API server's request limit is %d bytes)", quoteSource(e.Source), e.Size-1, e.Limit)
}

// DocumentError is a failure to decode or validate one document.
type DocumentError struct {
	Source string
	Index  int
	Err    error
}

func (e *DocumentError) Error() string {
	return fmt.Sprintf("error parsing %s (document %d): %v", quoteSource(e.Source), e.Index, e.Err)
}

func (e *DocumentError) Unwrap() error { return e.Err }

// NoMatchError is kubectl's error for a kind this agent does not serve.
type NoMatchError struct {
	Source, Name, Namespace, Kind, APIVersion string
}

func (e *NoMatchError) Error() string {
	return fmt.Sprintf("resource mapping not found for name: %q namespace: %q from %q: no matches for kind %q in version %q",
		e.Name, e.Namespace, e.Source, e.Kind, e.APIVersion)
}

func quoteSource(s string) string {
	if s == "STDIN" {
		return s
	}
	return strconv.Quote(s)
}

// Decode decodes every document in data, read from source (a file name or
// STDIN, used in errors). It fails on the first bad document.
func Decode(source string, data []byte) ([]Document, error) {
	if int64(len(data)) > MaxBytes {
		return nil, &TooLargeError{Source: source, Size: int64(len(data)), Limit: MaxBytes}
	}
	var docs []Document
	index := 0
	for _, part := range splitYAML(data) {
		if isEmptyYAML(part.Data) {
			continue
		}
		index++
		raws, err := toJSON(part)
		if err != nil {
			return nil, &DocumentError{Source: source, Index: index, Err: err}
		}
		for _, raw := range raws {
			objs, err := decodeJSON(source, raw, 0)
			if err != nil {
				var nm *NoMatchError
				if errors.As(err, &nm) {
					return nil, err
				}
				return nil, &DocumentError{Source: source, Index: index, Err: err}
			}
			for _, o := range objs {
				docs = append(docs, Document{Source: source, Index: index, Line: part.Line, Object: o})
			}
		}
	}
	return docs, nil
}

// DecodeObject decodes exactly one object of a served kind from JSON or YAML,
// as the API server decodes a request body. Unknown fields are rejected.
func DecodeObject(data []byte) (Object, error) {
	raws, err := toJSON(yamlPart{Data: data, Line: 1})
	if err != nil {
		return nil, err
	}
	if len(raws) != 1 {
		return nil, fmt.Errorf("expected one object, got %d", len(raws))
	}
	objs, err := decodeJSON("", raws[0], 1)
	if err != nil {
		return nil, err
	}
	if len(objs) != 1 {
		return nil, fmt.Errorf("expected one object, got %d", len(objs))
	}
	return objs[0], nil
}

// The documents of a source: package yamldoc, shared with the Secret
// files of package credential.
type yamlPart = yamldoc.Part

func splitYAML(data []byte) []yamlPart { return yamldoc.Split(data) }

func isEmptyYAML(b []byte) bool { return yamldoc.IsEmpty(b) }

func toJSON(p yamlPart) ([][]byte, error) { return yamldoc.ToJSON(p) }

// decodeJSON decodes one JSON object, flattening lists.
func decodeJSON(source string, raw []byte, depth int) ([]Object, error) {
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil, nil
	}
	var tm metav1.TypeMeta
	if err := json.Unmarshal(raw, &tm); err != nil {
		return nil, fmt.Errorf("error decoding object: %v", err)
	}
	var missing []string
	if tm.APIVersion == "" {
		missing = append(missing, "apiVersion not set")
	}
	if tm.Kind == "" {
		missing = append(missing, "kind not set")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("error validating data: [%s]", strings.Join(missing, ", "))
	}
	if tm.APIVersion == "v1" && strings.HasSuffix(tm.Kind, "List") {
		if depth > 0 {
			return nil, errors.New("a List may not contain another List")
		}
		var list struct {
			Items []json.RawMessage `json:"items"`
		}
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, fmt.Errorf("error decoding List: %v", err)
		}
		var out []Object
		for i, item := range list.Items {
			objs, err := decodeJSON(source, item, depth+1)
			if err != nil {
				var nm *NoMatchError
				if errors.As(err, &nm) {
					return nil, err
				}
				return nil, fmt.Errorf("items[%d]: %w", i, err)
			}
			out = append(out, objs...)
		}
		return out, nil
	}
	kind, ok := KindByName(tm.Kind)
	if !ok || tm.APIVersion != "v1" {
		var meta struct {
			Metadata struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"metadata"`
		}
		_ = json.Unmarshal(raw, &meta)
		return nil, &NoMatchError{Source: source, Name: meta.Metadata.Name, Namespace: meta.Metadata.Namespace,
			Kind: tm.Kind, APIVersion: tm.APIVersion}
	}
	obj := kind.New()
	if err := decodeStrict(kind, raw, obj); err != nil {
		return nil, err
	}
	SetTypeMeta(obj)
	return []Object{obj}, nil
}

// decodeStrict unmarshals raw into obj, rejecting unknown and duplicate
// fields as the API server's strict field validation does.
func decodeStrict(kind Kind, raw []byte, obj Object) error {
	strict, err := kjson.UnmarshalStrict(raw, obj, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	if err != nil {
		return fmt.Errorf("%s in version \"v1\" cannot be handled as a %s: %v", kind.Name, kind.Name, err)
	}
	if len(strict) > 0 {
		msgs := make([]string, len(strict))
		for i, e := range strict {
			msgs[i] = e.Error()
		}
		return fmt.Errorf("%s in version \"v1\" cannot be handled as a %s: strict decoding error: %s", kind.Name, kind.Name, strings.Join(msgs, ", "))
	}
	return nil
}

// DecodeAs decodes a request body meant to be a k: apiVersion and kind may
// be left out, but when given they must name k.
func DecodeAs(k Kind, data []byte) (Object, error) {
	j, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, fmt.Errorf("error converting YAML to JSON: %v", err)
	}
	var tm metav1.TypeMeta
	_ = json.Unmarshal(j, &tm)
	if tm.APIVersion == "" && tm.Kind == "" {
		obj := k.New()
		if err := decodeStrict(k, j, obj); err != nil {
			return nil, err
		}
		SetTypeMeta(obj)
		return obj, nil
	}
	obj, err := DecodeObject(j)
	if err != nil {
		return nil, err
	}
	if got, _ := KindOf(obj); got.Name != k.Name {
		return nil, fmt.Errorf("%s in version \"v1\" cannot be handled as a %s: the kind does not match the resource", got.Name, k.Name)
	}
	return obj, nil
}

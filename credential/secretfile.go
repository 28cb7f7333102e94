package credential

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	corev1 "k8s.io/api/core/v1"

	"github.com/pullwarden/pullwarden/yamldoc"
)

// ReadSecretFiles reads Kubernetes Secret objects from YAML or JSON files.
// A file may hold several documents separated by "---" lines, and a
// document may be a List or SecretList whose items are Secrets. Empty
// documents are skipped. stringData is merged into data (stringData wins
// per key), as the API server does. Any other kind, an apiVersion other than
// v1, or a document that does not decode is an error naming the file and
// the document (counted from 1); errors never quote secret values.
func ReadSecretFiles(paths []string) ([]corev1.Secret, error) {
	var out []corev1.Secret
	for _, p := range paths {
		s, err := readSecretFile(p)
		if err != nil {
			return nil, err
		}
		out = append(out, s...)
	}
	return out, nil
}

func readSecretFile(path string) ([]corev1.Secret, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading secret file: %w", err)
	}
	return decodeSecretFile(path, data)
}

// decodeSecretFile decodes the documents of one file (see ReadSecretFiles);
// errors start with path.
func decodeSecretFile(path string, data []byte) ([]corev1.Secret, error) {
	var out []corev1.Secret
	n := 0
	for _, part := range yamldoc.Split(data) {
		if yamldoc.IsEmpty(part.Data) {
			continue
		}
		n++
		values, err := yamldoc.ToJSON(part)
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: not valid YAML or JSON: %v", path, n, err)
		}
		for _, j := range values {
			if isNull(j) {
				continue
			}
			secrets, err := decodeSecretDocument(j)
			if err != nil {
				return nil, fmt.Errorf("%s: document %d: %w", path, n, err)
			}
			out = append(out, secrets...)
		}
	}
	return out, nil
}

// isNull reports whether a JSON value is null (an empty YAML document such
// as "~").
func isNull(j []byte) bool { return string(bytes.TrimSpace(j)) == "null" }

type typeHeader struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Items      []json.RawMessage `json:"items"`
}

// decodeSecretDocument decodes one document (as JSON): a Secret, or a List
// or SecretList of them.
func decodeSecretDocument(j []byte) ([]corev1.Secret, error) {
	var h typeHeader
	if err := json.Unmarshal(j, &h); err != nil {
		return nil, fmt.Errorf("not a Kubernetes object: %v", jsonError(err))
	}
	switch h.Kind {
	case "Secret":
		s, err := decodeSecret(j, h.APIVersion)
		if err != nil {
			return nil, err
		}
		return []corev1.Secret{s}, nil
	case "List", "SecretList":
		out := make([]corev1.Secret, 0, len(h.Items))
		for i, item := range h.Items {
			var ih typeHeader
			if err := json.Unmarshal(item, &ih); err != nil {
				return nil, fmt.Errorf("item %d: not a Kubernetes object: %v", i+1, jsonError(err))
			}
			if ih.Kind == "" && h.Kind == "SecretList" {
				ih.Kind, ih.APIVersion = "Secret", h.APIVersion
			}
			if ih.Kind != "Secret" {
				return nil, fmt.Errorf("item %d: kind %q is not a Secret", i+1, ih.Kind)
			}
			s, err := decodeSecret(item, ih.APIVersion)
			if err != nil {
				return nil, fmt.Errorf("item %d: %w", i+1, err)
			}
			out = append(out, s)
		}
		return out, nil
	case "":
		return nil, errors.New("not a Kubernetes object (no kind)")
	default:
		return nil, fmt.Errorf("kind %q is not a Secret", h.Kind)
	}
}

// decodeSecret decodes one Secret object. The data map is decoded here,
// key by key, so that bad base64 is reported with the secret and the key it
// is in (and never with the value).
func decodeSecret(j []byte, apiVersion string) (corev1.Secret, error) {
	if apiVersion != "v1" {
		return corev1.Secret{}, fmt.Errorf("apiVersion %q of a Secret is not v1", apiVersion)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(j, &fields); err != nil {
		return corev1.Secret{}, fmt.Errorf("does not decode as a Secret: %v", jsonError(err))
	}
	rawData := fields["data"]
	delete(fields, "data")
	rest, err := json.Marshal(fields)
	if err != nil {
		return corev1.Secret{}, fmt.Errorf("does not decode as a Secret: %v", err)
	}
	var s corev1.Secret
	if err := json.Unmarshal(rest, &s); err != nil {
		return corev1.Secret{}, fmt.Errorf("does not decode as a Secret: %v", jsonError(err))
	}
	name := secretName(&s)
	if len(rawData) > 0 && string(rawData) != "null" {
		var enc map[string]string
		if err := json.Unmarshal(rawData, &enc); err != nil {
			return corev1.Secret{}, fmt.Errorf("%s: data must map keys to base64 strings: %v", name, jsonError(err))
		}
		s.Data = make(map[string][]byte, len(enc))
		for k, v := range enc {
			b, err := base64.StdEncoding.DecodeString(v)
			if err != nil {
				return corev1.Secret{}, fmt.Errorf("%s: data key %q is not valid base64: %v", name, k, err)
			}
			s.Data[k] = b
		}
	}
	if len(s.StringData) > 0 {
		if s.Data == nil {
			s.Data = map[string][]byte{}
		}
		for k, v := range s.StringData {
			s.Data[k] = []byte(v)
		}
		s.StringData = nil
	}
	return s, nil
}

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
// A Secret that is well formed as a document but cannot be used (data that
// is not a map of base64 strings, a value that is not valid base64) is
// skipped with a Warning naming it, the file and the document, as
// FromSecrets skips a secret with bad JSON: the pull goes on with the
// others, as in the kubelet, which never fails a pull for one bad secret.
// A file may hold several documents separated by "---" lines, and a
// document may be a List or SecretList whose items are Secrets. Empty
// documents are skipped. stringData is merged into data (stringData wins
// per key), as the API server does. Any other kind, an apiVersion other than
// v1, or a document that does not decode is an error naming the file and
// the document (counted from 1); errors never quote secret values.
func ReadSecretFiles(paths []string) ([]corev1.Secret, []Warning, error) {
	var out []corev1.Secret
	var warns []Warning
	for _, p := range paths {
		s, w, err := readSecretFile(p)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, s...)
		warns = append(warns, w...)
	}
	return out, warns, nil
}

func readSecretFile(path string) ([]corev1.Secret, []Warning, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("reading secret file: %w", err)
	}
	return decodeSecretFile(path, data)
}

// decodeSecretFile decodes the documents of one file (see ReadSecretFiles);
// errors start with path.
func decodeSecretFile(path string, data []byte) ([]corev1.Secret, []Warning, error) {
	var out []corev1.Secret
	var warns []Warning
	n := 0
	for _, part := range yamldoc.Split(data) {
		if yamldoc.IsEmpty(part.Data) {
			continue
		}
		n++
		values, err := yamldoc.ToJSON(part)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: document %d: not valid YAML or JSON: %v", path, n, err)
		}
		for _, j := range values {
			if isNull(j) {
				continue
			}
			secrets, unusable, err := decodeSecretDocument(j)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: document %d: %w", path, n, err)
			}
			for _, u := range unusable {
				warns = append(warns, Warning{Source: fmt.Sprintf("%s (%s, document %d)", u.name, path, n), Message: u.msg})
			}
			out = append(out, secrets...)
		}
	}
	return out, warns, nil
}

// unusableSecret is a Secret skipped for its content; neither field holds
// a secret value.
type unusableSecret struct{ name, msg string }

func (u *unusableSecret) Error() string { return u.name + ": " + u.msg }

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
func decodeSecretDocument(j []byte) ([]corev1.Secret, []*unusableSecret, error) {
	var h typeHeader
	if err := json.Unmarshal(j, &h); err != nil {
		return nil, nil, fmt.Errorf("not a Kubernetes object: %v", jsonError(err))
	}
	var out []corev1.Secret
	var skipped []*unusableSecret
	add := func(item []byte, apiVersion string, where string) error {
		s, err := decodeSecret(item, apiVersion)
		var u *unusableSecret
		switch {
		case errors.As(err, &u):
			skipped = append(skipped, u)
		case err != nil:
			return fmt.Errorf("%s%w", where, err)
		default:
			out = append(out, s)
		}
		return nil
	}
	switch h.Kind {
	case "Secret":
		if err := add(j, h.APIVersion, ""); err != nil {
			return nil, nil, err
		}
		return out, skipped, nil
	case "List", "SecretList":
		for i, item := range h.Items {
			var ih typeHeader
			if err := json.Unmarshal(item, &ih); err != nil {
				return nil, nil, fmt.Errorf("item %d: not a Kubernetes object: %v", i+1, jsonError(err))
			}
			if ih.Kind == "" && h.Kind == "SecretList" {
				ih.Kind, ih.APIVersion = "Secret", h.APIVersion
			}
			if ih.Kind != "Secret" {
				return nil, nil, fmt.Errorf("item %d: kind %q is not a Secret", i+1, ih.Kind)
			}
			if err := add(item, ih.APIVersion, fmt.Sprintf("item %d: ", i+1)); err != nil {
				return nil, nil, err
			}
		}
		return out, skipped, nil
	case "":
		return nil, nil, errors.New("not a Kubernetes object (no kind)")
	default:
		return nil, nil, fmt.Errorf("kind %q is not a Secret", h.Kind)
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
			return corev1.Secret{}, &unusableSecret{name, fmt.Sprintf("data must map keys to base64 strings: %v", jsonError(err))}
		}
		s.Data = make(map[string][]byte, len(enc))
		for k, v := range enc {
			b, err := base64.StdEncoding.DecodeString(v)
			if err != nil {
				return corev1.Secret{}, &unusableSecret{name, fmt.Sprintf("data key %q is not valid base64: %v", k, err)}
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

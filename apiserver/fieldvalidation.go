package apiserver

import (
	"encoding/json"
	"fmt"
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/pullwarden/pullwarden/manifest"
)

// The fieldValidation directives kubectl sends (--validate=strict, warn,
// false).
const (
	fieldValidationStrict = "Strict"
	fieldValidationWarn   = "Warn"
	fieldValidationIgnore = "Ignore"
)

// fieldValidation is the request's directive. Without one the agent is
// strict (the API server's default is Warn): pullwarden's own commands
// rely on a typo being refused, and kubectl always sends one.
func fieldValidation(r *http.Request) (string, error) {
	switch v := r.URL.Query().Get("fieldValidation"); v {
	case "", fieldValidationStrict:
		return fieldValidationStrict, nil
	case fieldValidationWarn, fieldValidationIgnore:
		return v, nil
	default:
		return "", apierrors.NewBadRequest(fmt.Sprintf("fieldValidation must be one of \"Ignore\", \"Warn\" or \"Strict\", got %q", v))
	}
}

// dropUnknownFields returns data (JSON or YAML) as JSON without the fields
// k does not have, and one message per dropped or duplicate field, worded
// as the API server's warnings (`unknown field "spec.foo"`).
func dropUnknownFields(k manifest.Kind, data []byte) ([]byte, []string, error) {
	j, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, nil, fmt.Errorf("error converting YAML to JSON: %v", err)
	}
	obj := k.New()
	strict, err := kjson.UnmarshalStrict(j, obj, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	if err != nil || len(strict) == 0 {
		// Not a problem of unknown fields: decoded (and refused) as usual.
		return j, nil, nil
	}
	msgs := make([]string, len(strict))
	for i, e := range strict {
		msgs[i] = e.Error()
	}
	// apiVersion and kind as sent, so DecodeAs still checks them.
	var tm struct {
		APIVersion string `json:"apiVersion,omitempty"`
		Kind       string `json:"kind,omitempty"`
	}
	_ = json.Unmarshal(j, &tm)
	out, err := json.Marshal(obj)
	if err != nil {
		return nil, nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		return nil, nil, err
	}
	delete(m, "apiVersion")
	delete(m, "kind")
	if tm.APIVersion != "" {
		m["apiVersion"] = tm.APIVersion
	}
	if tm.Kind != "" {
		m["kind"] = tm.Kind
	}
	out, err = json.Marshal(m)
	return out, msgs, err
}

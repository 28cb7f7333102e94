package apiserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pullwarden/pullwarden/manifest"
)

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	writeJSONAs(w, code, v)
}

// writeJSONAs writes v as JSON with the Content-Type already set.
func writeJSONAs(w http.ResponseWriter, code int, v any) {
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// toStatus turns any error into the API server's Status.
func toStatus(err error) metav1.Status {
	var st apierrors.APIStatus
	if errors.As(err, &st) {
		s := st.Status()
		s.TypeMeta = metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}
		return s
	}
	s := apierrors.NewInternalError(err).Status()
	s.TypeMeta = metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}
	return s
}

func writeError(w http.ResponseWriter, err error) {
	s := toStatus(err)
	code := int(s.Code)
	if code == 0 {
		code = http.StatusInternalServerError
	}
	writeJSON(w, code, s)
}

// readBody reads at most manifest.MaxBytes of the request body.
func readBody(r *http.Request) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r.Body, manifest.MaxBytes+1))
	if err != nil {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("reading the request body: %v", err))
	}
	if len(data) > manifest.MaxBytes {
		return nil, apierrors.NewRequestEntityTooLargeError(fmt.Sprintf("limit is %d", manifest.MaxBytes))
	}
	return data, nil
}

// decodeBody reads and decodes the object of a POST, PUT or apply for t.
// Unknown and duplicate fields are refused unless ?fieldValidation=Ignore
// (dropped) or Warn (dropped, with a Warning header each, added to w).
func decodeBody(w http.ResponseWriter, r *http.Request, t target) (manifest.Object, error) {
	mode, err := fieldValidation(r)
	if err != nil {
		return nil, err
	}
	ct := mediaType(r)
	switch ct {
	case "", "application/json", "application/yaml", "*/*", "text/plain", "application/apply-patch+yaml", contentTypeKubeProtobuf:
	default:
		return nil, unsupportedMediaType(acceptedBodyTypes)
	}
	data, err := readBody(r)
	if err != nil {
		return nil, err
	}
	if ct == contentTypeKubeProtobuf {
		if data, err = protobufToJSON(data); err != nil {
			return nil, apierrors.NewBadRequest(err.Error())
		}
	}
	if mode != fieldValidationStrict {
		var warnings []string
		if data, warnings, err = dropUnknownFields(t.kind, data); err != nil {
			return nil, apierrors.NewBadRequest(err.Error())
		}
		for _, msg := range warnings {
			if mode == fieldValidationWarn {
				w.Header().Add("Warning", warningHeader(msg))
			}
		}
	}
	obj, err := manifest.DecodeAs(t.kind, data)
	if err != nil {
		return nil, apierrors.NewBadRequest(err.Error())
	}
	if t.kind.Namespaced {
		switch ns := obj.GetNamespace(); {
		case ns == "":
			obj.SetNamespace(t.namespace)
		case ns != t.namespace:
			return nil, apierrors.NewBadRequest("the namespace of the provided object does not match the namespace sent on the request")
		}
	}
	if t.name != "" && obj.GetName() != t.name {
		if obj.GetName() == "" {
			obj.SetName(t.name)
		} else {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("the name of the object (%s) does not match the name on the URL (%s)", obj.GetName(), t.name))
		}
	}
	return obj, nil
}

// mediaType is the request's Content-Type without parameters.
func mediaType(r *http.Request) string {
	return strings.TrimSpace(strings.Split(r.Header.Get("Content-Type"), ";")[0])
}

func methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	writeError(w, apierrors.NewMethodNotSupported(manifest.Pod.GroupResource(), r.Method))
}

// unsupportedMediaType is the API server's 415 for a body in a format other
// than accepted.
func unsupportedMediaType(accepted string) error {
	return statusError(http.StatusUnsupportedMediaType, metav1.StatusReasonUnsupportedMediaType,
		"the body of the request was in an unknown format - accepted media types include: "+accepted)
}

// The bodies the agent takes for PATCH, and for POST and PUT.
const (
	acceptedPatchTypes = "application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml"
	acceptedBodyTypes  = "application/json, application/yaml, application/vnd.kubernetes.protobuf"
)

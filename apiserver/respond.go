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
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// reply answers with obj and code, or with err's Status when err is set.
func reply(w http.ResponseWriter, code int, obj any, err error) {
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, code, obj)
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

// decodeBody reads and decodes the object of a POST or PUT for t.
func decodeBody(r *http.Request, t target) (manifest.Object, error) {
	switch ct := strings.TrimSpace(strings.Split(r.Header.Get("Content-Type"), ";")[0]); ct {
	case "", "application/json", "application/yaml", "*/*", "text/plain", "application/apply-patch+yaml":
	default:
		return nil, unsupportedMediaType(ct)
	}
	data, err := readBody(r)
	if err != nil {
		return nil, err
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

func methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	writeError(w, apierrors.NewMethodNotSupported(manifest.Pod.GroupResource(), r.Method))
}

func unsupportedMediaType(ct string) error {
	return &apierrors.StatusError{ErrStatus: metav1.Status{
		Status: metav1.StatusFailure, Code: http.StatusUnsupportedMediaType, Reason: metav1.StatusReasonUnsupportedMediaType,
		Message: fmt.Sprintf("the body of the request was in an unknown format (%q) - accepted media types include: application/apply-patch+yaml, application/merge-patch+json, application/strategic-merge-patch+json", ct),
	}}
}

package apiserver

import (
	"fmt"
	"mime"
	"net/http"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// media is a response format the agent can produce.
type media int

const (
	mediaNone media = iota
	mediaJSON
	mediaYAML
	// mediaTable is application/json;as=Table;g=meta.k8s.io;v=v1 (or
	// v1beta1): the server-side printing kubectl get asks for.
	mediaTable
	// mediaDiscovery is application/json;g=apidiscovery.k8s.io;v=v2;as=
	// APIGroupDiscoveryList: aggregated discovery.
	mediaDiscovery
	// mediaOpenAPIv2Proto is the protobuf OpenAPI v2 document kubectl
	// asks /openapi/v2 for.
	mediaOpenAPIv2Proto
)

// Content types of the formats above.
const (
	contentTypeDiscovery       = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
	contentTypeOpenAPIv2Proto  = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
	contentTypeKubeProtobuf    = "application/vnd.kubernetes.protobuf"
	acceptedMediaTypesForError = "application/json, application/yaml"
)

// accepted is the format chosen for a response, with the version asked for
// (Table: "v1" or "v1beta1").
type accepted struct {
	media   media
	version string
}

// negotiate picks the first entry of r's Accept header (in the order given,
// as the API server does) that is one of allowed. No Accept header, */* and
// application/* mean JSON when JSON is allowed. Nothing acceptable is the
// API server's 406 NotAcceptable.
func negotiate(r *http.Request, allowed ...media) (accepted, error) {
	ok := func(m media) bool {
		for _, a := range allowed {
			if a == m {
				return true
			}
		}
		return false
	}
	header := r.Header.Get("Accept")
	if strings.TrimSpace(header) == "" {
		header = "application/json"
	}
	for _, part := range strings.Split(header, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			// "@" (in the OpenAPI protobuf type) is no token character.
			mt, params = strings.ToLower(strings.TrimSpace(strings.Split(part, ";")[0])), nil
		}
		var a accepted
		switch mt {
		case "application/json":
			a = acceptJSON(params)
		case "*/*", "application/*":
			a = accepted{media: mediaJSON}
		case "application/yaml":
			if params["as"] == "" {
				a = accepted{media: mediaYAML}
			}
		case contentTypeOpenAPIv2Proto:
			a = accepted{media: mediaOpenAPIv2Proto}
		}
		if a.media != mediaNone && ok(a.media) {
			return a, nil
		}
	}
	return accepted{}, notAcceptable()
}

// acceptJSON classifies an application/json entry by its as, g and v
// parameters.
func acceptJSON(params map[string]string) accepted {
	switch as, g, v := params["as"], params["g"], params["v"]; {
	case as == "":
		return accepted{media: mediaJSON}
	case as == "Table" && g == "meta.k8s.io" && (v == "v1" || v == "v1beta1"):
		return accepted{media: mediaTable, version: v}
	case as == "APIGroupDiscoveryList" && g == "apidiscovery.k8s.io" && v == "v2":
		return accepted{media: mediaDiscovery, version: v}
	}
	return accepted{}
}

func notAcceptable() error {
	return statusError(http.StatusNotAcceptable, "NotAcceptable",
		fmt.Sprintf("only the following media types are accepted: %s", acceptedMediaTypesForError))
}

// statusError is an API Status error with any code and reason.
func statusError(code int32, reason metav1.StatusReason, message string) error {
	return &apierrors.StatusError{ErrStatus: metav1.Status{Status: metav1.StatusFailure, Code: code, Reason: reason, Message: message}}
}

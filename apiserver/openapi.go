package apiserver

import (
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	openapiv2 "github.com/google/gnostic-models/openapiv2"
	"google.golang.org/protobuf/proto"
)

//go:generate go run ./internal/genopenapi -spec ${GOMODCACHE}/k8s.io/kubernetes@v1.37.2/api/openapi-spec -out openapi

// The Kubernetes API's own OpenAPI documents (v1.37.2), cut down to the
// served kinds by internal/genopenapi. kubectl reads them to validate
// apply and create (and to find out that the server validates fields
// itself), and for explain.
var (
	//go:embed openapi/v2.json.gz
	openAPIv2Gzip []byte
	//go:embed openapi/v3-api-v1.json.gz
	openAPIv3Gzip []byte
)

// openAPIDocs are the decompressed documents, made once.
type openAPIDocs struct {
	v2JSON, v2Proto, v3JSON []byte
	v3Hash                  string
	err                     error
}

var (
	openAPIOnce sync.Once
	openAPI     openAPIDocs
)

func loadOpenAPI() *openAPIDocs {
	openAPIOnce.Do(func() {
		d := &openAPI
		if d.v2JSON, d.err = gunzip(openAPIv2Gzip); d.err != nil {
			return
		}
		if d.v3JSON, d.err = gunzip(openAPIv3Gzip); d.err != nil {
			return
		}
		doc, err := openapiv2.ParseDocument(d.v2JSON)
		if err != nil {
			d.err = fmt.Errorf("OpenAPI v2 document: %w", err)
			return
		}
		if d.v2Proto, d.err = proto.Marshal(doc); d.err != nil {
			return
		}
		sum := sha512.Sum512(d.v3JSON)
		d.v3Hash = strings.ToUpper(fmt.Sprintf("%x", sum[:]))
	})
	return &openAPI
}

func gunzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// serveOpenAPI answers /openapi/v2, /openapi/v3 and /openapi/v3/api/v1.
func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		methodNotAllowed(w, r)
		return
	}
	d := loadOpenAPI()
	if d.err != nil {
		writeError(w, d.err)
		return
	}
	switch r.URL.Path {
	case "/openapi/v2":
		a, err := negotiate(r, mediaOpenAPIv2Proto, mediaJSON)
		if err != nil {
			writeError(w, err)
			return
		}
		if a.media == mediaOpenAPIv2Proto {
			writeBytes(w, contentTypeOpenAPIv2Proto, d.v2Proto)
			return
		}
		writeBytes(w, "application/json", d.v2JSON)
	case "/openapi/v3":
		if _, err := negotiate(r, mediaJSON); err != nil {
			writeError(w, err)
			return
		}
		index := map[string]any{"paths": map[string]any{
			"api/v1": map[string]string{"serverRelativeURL": "/openapi/v3/api/v1?hash=" + d.v3Hash},
		}}
		b, _ := json.Marshal(index)
		writeBytes(w, "application/json", b)
	case "/openapi/v3/api/v1":
		if _, err := negotiate(r, mediaJSON); err != nil {
			writeError(w, err)
			return
		}
		w.Header().Set("Etag", `"`+d.v3Hash+`"`)
		writeBytes(w, "application/json", d.v3JSON)
	default:
		notFoundPage(w)
	}
}

func writeBytes(w http.ResponseWriter, contentType string, b []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Vary", "Accept")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// notFoundPage is the API server's answer to a path outside the API.
func notFoundPage(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusNotFound)
	_, _ = io.WriteString(w, "404 page not found\n")
}

package apiserver

import (
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// RequireCredential wraps h so that only requests carrying p's admin
// credential (a client certificate signed by p's CA, or the bearer token)
// reach it; others get the API server's 401 Unauthorized Status.
func RequireCredential(p *PKI, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !p.authenticated(r) {
			writeError(w, apierrors.NewUnauthorized("Unauthorized"))
			return
		}
		h.ServeHTTP(w, r)
	})
}

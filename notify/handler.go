package notify

import (
	"crypto/subtle"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
)

// Path is where a registry's notifications.endpoints url should point:
// http://ADDR/registry/notifications.
const Path = "/registry/notifications"

// DefaultMaxBody bounds an envelope's size. distribution sends events one
// at a time by default; 1 MiB holds hundreds.
const DefaultMaxBody = 1 << 20

// Options configure a Handler.
type Options struct {
	// OnPush is called for every manifest push of an accepted envelope,
	// in order, before the answer is written: keep it short (hand the
	// push to a queue). Required.
	OnPush func(Push)
	// Token, when set, must come as "Authorization: Bearer <Token>" (a
	// registry sends it from its endpoint's headers); other requests get
	// 401. It is compared in constant time and never logged.
	Token string
	// Host, when set, replaces each event's request.host: the name pods
	// use for the registry when it differs from the one pushers use.
	Host string
	// MaxBody bounds the envelope; default 1 MiB (DefaultMaxBody).
	MaxBody int64
	// Logger receives a debug record per push and a warning per rejected
	// request; default: discard.
	Logger *slog.Logger
}

// Handler returns the http.Handler of the notification endpoint. It
// answers POST only (405 otherwise, with Allow: POST), with a content
// type of MediaType or application/json (415 otherwise), a body within
// MaxBody (413 otherwise) and the bearer token when one is configured
// (401 otherwise). A valid envelope is answered 200 after OnPush ran for
// each manifest push; a malformed one 400 (the registry retries it, then
// drops it after its threshold). Mount it at Path, or use Mux.
func Handler(o Options) http.Handler {
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.OnPush == nil {
		o.OnPush = func(Push) {}
	}
	return &handler{o: o}
}

// Mux returns a ServeMux serving Handler(o) at Path and 404 elsewhere.
func Mux(o Options) *http.ServeMux {
	m := http.NewServeMux()
	m.Handle(Path, Handler(o))
	return m
}

type handler struct{ o Options }

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.reject(w, r, http.StatusMethodNotAllowed, "only POST is accepted")
		return
	}
	if h.o.Token != "" && !h.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="pullwarden notifications"`)
		h.reject(w, r, http.StatusUnauthorized, "missing or wrong bearer token")
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != MediaType && mt != "application/json" {
		h.reject(w, r, http.StatusUnsupportedMediaType, "content type must be "+MediaType)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.o.MaxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			h.reject(w, r, http.StatusRequestEntityTooLarge, "envelope larger than the limit")
			return
		}
		h.reject(w, r, http.StatusBadRequest, "reading the envelope failed")
		return
	}
	pushes, err := Parse(body)
	if err != nil {
		h.reject(w, r, http.StatusBadRequest, err.Error())
		return
	}
	for _, p := range pushes {
		if h.o.Host != "" {
			p.Host = h.o.Host
		}
		h.o.Logger.Debug("manifest pushed", "host", p.Host, "repository", p.Repository, "tag", p.Tag, "digest", p.Digest)
		h.o.OnPush(p)
	}
	w.WriteHeader(http.StatusOK)
}

func (h *handler) authorized(r *http.Request) bool {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), []byte(h.o.Token)) == 1
}

func (h *handler) reject(w http.ResponseWriter, r *http.Request, code int, msg string) {
	h.o.Logger.Warn("notification rejected", "status", code, "reason", msg, "remote", r.RemoteAddr)
	http.Error(w, msg, code)
}

package faultproxy

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sync"
	"time"
)

// Kind is the kind of fault.
type Kind int

// The faults.
const (
	// Pass forwards the request unchanged (the rule only counts).
	Pass Kind = iota
	// Cut forwards, sends N body bytes, then closes the connection.
	Cut
	// Truncate forwards and sends only N body bytes, declared with a
	// Content-Length of N: a complete but short response.
	Truncate
	// Status answers Code without contacting upstream, with RetryAfter
	// (when set) and Body.
	Status
	// Trickle forwards, sending N bytes every Tick.
	Trickle
	// Stall forwards, sends N body bytes, then sends nothing until the
	// client goes away or the proxy is closed.
	Stall
	// Corrupt forwards with every body byte inverted (same length).
	Corrupt
	// Redirect answers 307 to Target + the request's path and query.
	Redirect
	// StripRange forwards without the Range header.
	StripRange
	// Hang accepts the request and never answers, not even the status
	// line, until the client goes away or the proxy is closed.
	Hang
	// Raw hijacks the connection, writes Body as it is (a whole HTTP
	// response, possibly malformed) and closes the connection.
	Raw
)

var kindNames = [...]string{"Pass", "Cut", "Truncate", "Status", "Trickle", "Stall", "Corrupt", "Redirect", "StripRange", "Hang", "Raw"}

func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return fmt.Sprintf("Kind(%d)", int(k))
	}
	return kindNames[k]
}

// Fault says what to do with a matching request.
type Fault struct {
	Kind       Kind
	N          int64         // Cut, Truncate, Stall: body bytes sent first; Trickle: bytes per tick
	Code       int           // Status
	RetryAfter string        // Status: Retry-After value (seconds or HTTP date)
	Body       string        // Status: response body; Raw: the whole response
	Tick       time.Duration // Trickle
	Target     string        // Redirect: base URL, "http://127.0.0.2:5000"
	// Notify, when set, receives a value (without blocking) when the fault
	// takes effect: for Stall once the stall begins, else when matched.
	Notify chan<- struct{}
}

func (f Fault) notify() {
	if f.Notify != nil {
		select {
		case f.Notify <- struct{}{}:
		default:
		}
	}
}

// Rule applies a Fault to matching requests.
type Rule struct {
	Method string // "" matches every method
	Path   string // regexp on the URL path; "" matches every path
	Times  int    // applies to this many matching requests; 0: all
	Fault
}

// Request is what the proxy recorded about one request.
type Request struct {
	Method string
	Path   string
	Range  string
	Auth   bool // an Authorization header was present
	Fault  Kind
}

type rule struct {
	Rule
	path *regexp.Regexp
	left int
}

// Proxy is the fault-injecting reverse proxy. Create it with New.
type Proxy struct {
	upstream  *url.URL
	transport http.RoundTripper
	closed    chan struct{}
	closeOnce sync.Once

	mu     sync.Mutex
	rules  []*rule
	reqs   []Request
	served map[string]int64
}

// New returns a proxy forwarding to upstream ("http://127.0.0.1:5000").
func New(upstream string) (*Proxy, error) {
	u, err := url.Parse(upstream)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("faultproxy: bad upstream URL %q", upstream)
	}
	return &Proxy{
		upstream:  u,
		transport: &http.Transport{Proxy: nil, DisableCompression: true},
		closed:    make(chan struct{}),
		served:    map[string]int64{},
	}, nil
}

// Add appends a rule. It panics on an invalid path regexp (a test bug).
func (p *Proxy) Add(r Rule) {
	re := regexp.MustCompile(r.Path)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = append(p.rules, &rule{Rule: r, path: re, left: r.Times})
}

// Reset removes all rules, recorded requests and byte counts.
func (p *Proxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules, p.reqs, p.served = nil, nil, map[string]int64{}
}

// Close releases stalled requests. The proxy still serves afterwards.
func (p *Proxy) Close() { p.closeOnce.Do(func() { close(p.closed) }) }

// Requests returns a copy of the recorded requests, in arrival order.
func (p *Proxy) Requests() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Request(nil), p.reqs...)
}

// Served returns the body bytes sent for path.
func (p *Proxy) Served(path string) int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.served[path]
}

// ServedTotal returns the body bytes sent for all paths.
func (p *Proxy) ServedTotal() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	var n int64
	for _, v := range p.served {
		n += v
	}
	return n
}

func (p *Proxy) addServed(path string, n int64) {
	p.mu.Lock()
	p.served[path] += n
	p.mu.Unlock()
}

// match records r and returns the fault of the first matching rule with
// uses left (Pass when none).
func (p *Proxy) match(r *http.Request) Fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	f := Fault{Kind: Pass}
	for _, ru := range p.rules {
		if (ru.Method == "" || ru.Method == r.Method) && ru.path.MatchString(r.URL.Path) && (ru.Times == 0 || ru.left > 0) {
			ru.left--
			f = ru.Fault
			break
		}
	}
	p.reqs = append(p.reqs, Request{
		Method: r.Method, Path: r.URL.Path, Range: r.Header.Get("Range"),
		Auth: r.Header.Get("Authorization") != "", Fault: f.Kind,
	})
	return f
}

// ServeHTTP implements http.Handler.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f := p.match(r)
	if f.Kind != Stall {
		f.notify()
	}
	switch f.Kind {
	case Hang:
		select {
		case <-r.Context().Done():
		case <-p.closed:
		}
		return
	case Raw:
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			_, _ = io.WriteString(conn, f.Body)
			conn.Close()
		}
		return
	case Status:
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		if f.Body != "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(f.Code)
		n, _ := io.WriteString(w, f.Body)
		p.addServed(r.URL.Path, int64(n))
		return
	case Redirect:
		target := f.Target + r.URL.Path
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		w.Header().Set("Location", target)
		w.WriteHeader(http.StatusTemporaryRedirect)
		return
	}
	resp, err := p.forward(r, f)
	if err != nil {
		http.Error(w, "faultproxy: upstream: "+err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	p.respond(w, r, resp, f)
}

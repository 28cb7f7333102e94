package hosts

import (
	"fmt"
	"net/http"
	"net/url"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// ParseError is a hosts.toml that cannot be used: it names the file, the
// entry ("server" or host."URL") and the field.
type ParseError struct {
	File  string
	Entry string // "" for the whole file
	Field string
	Err   error
}

func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Entry != "" {
		b.WriteString(": " + e.Entry)
	}
	if e.Field != "" {
		b.WriteString(": " + e.Field)
	}
	b.WriteString(": " + e.Err.Error())
	return b.String()
}

func (e *ParseError) Unwrap() error { return e.Err }

// fileEntry is one table of hosts.toml (the top level or a host entry).
type fileEntry struct {
	Capabilities []string       `toml:"capabilities"`
	CA           any            `toml:"ca"`
	Client       any            `toml:"client"`
	SkipVerify   *bool          `toml:"skip_verify"`
	Header       map[string]any `toml:"header"`
	OverridePath bool           `toml:"override_path"`
	DialTimeout  string         `toml:"dial_timeout"`
}

type fileRoot struct {
	fileEntry
	Server string               `toml:"server"`
	Host   map[string]fileEntry `toml:"host"`
}

// Parse reads the content of a hosts.toml found in dir (relative
// certificate paths are made absolute against dir; file names errors).
// It returns the [host."..."] entries in file order, then the top-level
// entry from "server"; when the file has no server, that last entry has
// an empty Host, which Endpoints fills with the registry's default.
func Parse(file string, data []byte) ([]Endpoint, error) {
	dir := filepath.Dir(file)
	order, err := hostOrder(data)
	if err != nil {
		return nil, &ParseError{File: file, Err: err}
	}
	var root fileRoot
	if err := toml.Unmarshal(data, &root); err != nil {
		return nil, &ParseError{File: file, Err: err}
	}
	var eps []Endpoint
	for _, h := range order {
		e, err := parseEntry(h, dir, root.Host[h])
		if err != nil {
			err.File, err.Entry = file, fmt.Sprintf("host.%q", h)
			return nil, err
		}
		e.Mirror = true
		eps = append(eps, e)
	}
	e, perr := parseEntry(root.Server, dir, root.fileEntry)
	if perr != nil {
		perr.File, perr.Entry = file, "server"
		return nil, perr
	}
	return append(eps, e), nil
}

// hostOrder lists the host tables in the order the file defines them,
// reading [host."X"] table headers the way containerd 2.x does: a header
// "host.X..." names X unless the previous header named X too (so
// [host."X".header] after [host."X"] adds nothing). Hosts defined in any
// other way (dotted keys, inline tables) are not endpoints.
func hostOrder(data []byte) ([]string, error) {
	var p unstable.Parser
	p.Reset(data)
	var order []string
	last := ""
	for p.NextExpression() {
		e := p.Expression()
		if e.Kind != unstable.Table {
			continue
		}
		var parts []string
		for it := e.Key(); it.Next(); {
			parts = append(parts, string(it.Node().Data))
		}
		if len(parts) < 2 || parts[0] != "host" || parts[1] == last {
			continue
		}
		last = parts[1]
		order = append(order, last)
	}
	return order, p.Error()
}

// parseEntry turns one table into an Endpoint, as containerd's
// parseHostConfig does. server "" leaves Scheme, Host and Path empty.
func parseEntry(server, dir string, c fileEntry) (Endpoint, *ParseError) {
	var e Endpoint
	if server != "" {
		if !strings.HasPrefix(server, "http") {
			server = "https://" + server
		}
		u, err := url.Parse(server)
		if err != nil {
			return e, &ParseError{Field: "server", Err: err}
		}
		e.Scheme, e.Host = u.Scheme, u.Host
		switch {
		case u.Path != "":
			e.Path = path.Clean(u.Path)
			if !strings.HasSuffix(e.Path, "/v2") && !c.OverridePath {
				e.Path += "/v2"
			}
		case !c.OverridePath:
			e.Path = "/v2"
		}
	}
	e.SkipVerify = c.SkipVerify
	if len(c.Capabilities) == 0 {
		e.Capabilities = All
	}
	for _, name := range c.Capabilities {
		found := false
		for _, n := range capNames {
			if strings.EqualFold(name, n.name) {
				e.Capabilities |= n.c
				found = true
			}
		}
		if !found {
			return e, &ParseError{Field: "capabilities", Err: fmt.Errorf("unknown capability %q (want pull, resolve, push or referrers)", name)}
		}
	}
	var err error
	abs := func(p string) string {
		if filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	if c.CA != nil {
		switch v := c.CA.(type) {
		case string:
			e.CA = []string{abs(v)}
		case []any:
			if e.CA, err = strings_(v, abs); err != nil {
				return e, &ParseError{Field: "ca", Err: err}
			}
		default:
			return e, &ParseError{Field: "ca", Err: fmt.Errorf("want a file name or a list of them, got %T", v)}
		}
	}
	if c.Client != nil {
		if e.Client, err = clientPairs(c.Client, abs); err != nil {
			return e, &ParseError{Field: "client", Err: err}
		}
	}
	if c.Header != nil {
		e.Header = http.Header{}
		for k, v := range c.Header {
			switch v := v.(type) {
			case string:
				e.Header.Add(k, v)
			case []any:
				vs, err := strings_(v, nil)
				if err != nil {
					return e, &ParseError{Field: "header." + k, Err: err}
				}
				for _, x := range vs {
					e.Header.Add(k, x)
				}
			default:
				return e, &ParseError{Field: "header." + k, Err: fmt.Errorf("want a string or a list of strings, got %T", v)}
			}
		}
	}
	if c.DialTimeout != "" {
		if e.DialTimeout, err = time.ParseDuration(c.DialTimeout); err != nil {
			return e, &ParseError{Field: "dial_timeout", Err: err}
		}
	}
	return e, nil
}

// clientPairs reads "client": a file, a list of files, or a list of
// [certificate, key] pairs.
func clientPairs(v any, abs func(string) string) ([][2]string, error) {
	switch v := v.(type) {
	case string:
		return [][2]string{{abs(v), ""}}, nil
	case []any:
		var out [][2]string
		for _, p := range v {
			switch p := p.(type) {
			case string:
				out = append(out, [2]string{abs(p), ""})
			case []any:
				s, err := strings_(p, abs)
				if err != nil {
					return nil, err
				}
				if len(s) != 2 {
					return nil, fmt.Errorf("want a [certificate, key] pair, got %d names", len(s))
				}
				out = append(out, [2]string{s[0], s[1]})
			default:
				return nil, fmt.Errorf("want a file name or a [certificate, key] pair, got %T", p)
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("want a file name or a list, got %T", v)
}

// strings_ converts a TOML array of strings, mapping each through f
// (nil: unchanged).
func strings_(v []any, f func(string) string) ([]string, error) {
	out := make([]string, len(v))
	for i, x := range v {
		s, ok := x.(string)
		if !ok {
			return nil, fmt.Errorf("element %d is %T, want a string", i, x)
		}
		if f != nil {
			s = f(s)
		}
		out[i] = s
	}
	return out, nil
}

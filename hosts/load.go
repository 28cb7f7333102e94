package hosts

import (
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
)

// Dir returns the directory under root (containerd's config_path) that
// configures registry host ("registry.example:5000"): the first that
// exists of root/"host_port_" (for a host with a port), root/"host:port"
// (or root/"host"), and root/"_default". It returns "" when none exists.
func Dir(root, host string) (string, error) {
	var cands []string
	if i := strings.LastIndex(host, ":"); i > 0 {
		cands = append(cands, filepath.Join(root, host[:i]+"_"+host[i+1:]+"_"))
	}
	cands = append(cands, filepath.Join(root, host), filepath.Join(root, "_default"))
	for _, c := range cands {
		if _, err := os.Stat(c); err == nil {
			return c, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
	}
	return "", nil
}

// Endpoints returns the endpoints to try for registry host, in order, as
// containerd's CRI does with config_path = root: the entries of
// Dir(root, host)/hosts.toml (mirrors in file order, then the server),
// or, without a hosts.toml, the registry itself with the Docker-style
// certificate files of the directory. An empty root means no
// configuration: the registry itself.
//
// Where containerd logs a hosts.toml it cannot parse and goes on with the
// registry itself, Endpoints returns the *ParseError, so that a broken
// mirror configuration is seen instead of silently bypassed.
func Endpoints(root, host string) ([]Endpoint, error) {
	var eps []Endpoint
	if root != "" {
		dir, err := Dir(root, host)
		if err != nil {
			return nil, err
		}
		if dir != "" {
			if eps, err = load(dir); err != nil {
				return nil, err
			}
		}
	}
	if eps == nil {
		eps = []Endpoint{{}}
	}
	defaults(eps, host)
	return eps, nil
}

// load reads dir/hosts.toml, or the certificate files of dir when the
// file is absent or empty.
func load(dir string) ([]Endpoint, error) {
	file := filepath.Join(dir, "hosts.toml")
	b, err := os.ReadFile(file)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if len(b) == 0 {
		return certFiles(dir)
	}
	return Parse(file, b)
}

// certFiles reads Docker's certs.d layout: *.crt are CA certificates,
// *.cert client certificates with the key in the *.key of the same name
// (or in the certificate file when there is none).
func certFiles(dir string) ([]Endpoint, error) {
	ents, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	var e Endpoint
	for _, f := range ents {
		if f.IsDir() {
			continue
		}
		name := f.Name()
		switch {
		case strings.HasSuffix(name, ".crt"):
			e.CA = append(e.CA, filepath.Join(dir, name))
		case strings.HasSuffix(name, ".cert"):
			pair := [2]string{filepath.Join(dir, name), ""}
			key := filepath.Join(dir, strings.TrimSuffix(name, ".cert")+".key")
			if _, err := os.Stat(key); err == nil {
				pair[1] = key
			} else if !errors.Is(err, fs.ErrNotExist) {
				return nil, err
			}
			e.Client = append(e.Client, pair)
		}
	}
	return []Endpoint{e}, nil
}

// defaults fills the last entry when it names no server, as containerd
// 2.x does: docker.io is https://registry-1.docker.io; a loopback or
// localhost registry is https without a port or on 443, else http (with
// TLS verification skipped unless on port 80); any other host is https.
// That entry gets every capability and the /v2 root. Then an http entry
// with TLS settings on a port other than 80 tries https first.
func defaults(eps []Endpoint, host string) {
	if last := &eps[len(eps)-1]; last.Host == "" {
		switch {
		case host == "docker.io":
			last.Scheme, last.Host = "https", "registry-1.docker.io"
		case isLocalhost(host):
			last.Host = host
			_, port, _ := net.SplitHostPort(host)
			last.Scheme = "http"
			if port == "" || port == "443" {
				last.Scheme = "https"
			}
			if port != "80" {
				skip := true
				last.SkipVerify, last.DefaultSkipVerify = &skip, true
			}
		default:
			last.Scheme, last.Host = "https", host
		}
		last.Path = "/v2"
		last.Capabilities = All
	}
	for i := range eps {
		e := &eps[i]
		if e.Scheme == "http" && e.explicitTLS() {
			if _, port, _ := net.SplitHostPort(e.Host); port != "80" {
				e.Scheme, e.HTTPFallback = "https", true
			}
		}
	}
}

func isLocalhost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

package credential

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"time"
)

// HelperTimeout bounds each run of a docker credential helper.
const HelperTimeout = 10 * time.Second

// dockerConfigFile is the part of docker's config.json that holds
// credentials.
type dockerConfigFile struct {
	Auths       map[string]configEntry `json:"auths"`
	CredsStore  string                 `json:"credsStore,omitempty"`
	CredHelpers map[string]string      `json:"credHelpers,omitempty"`
}

// loader reads docker configs; its fields are seams for tests.
type loader struct {
	timeout  time.Duration
	lookPath func(string) (string, error)
	getenv   func(string) string
	homeDir  func() (string, error)
}

func defaultLoader() loader {
	return loader{timeout: HelperTimeout, lookPath: exec.LookPath, getenv: os.Getenv, homeDir: os.UserHomeDir}
}

// LoadDockerConfig reads the node's docker credentials from a docker
// config.json: path, or when path is "" `$DOCKER_CONFIG/config.json`,
// else `~/.docker/config.json`.
//
// A missing file is not an error: the keyring is empty. An unreadable or
// malformed file is an error (with an empty, usable keyring). Entries are
// used as docker uses them: with `credsStore` set, the default store is
// that helper (`docker-credential-NAME list`, then `get` for each server)
// and the `auths` entries of the file are ignored; `credHelpers` maps a
// registry to its own helper and overrides the rest for that registry.
// Helpers are run with the server on stdin, as docker runs them, each
// bounded by HelperTimeout and ctx. A helper that is missing, fails or
// answers garbage, and an entry with a bad `auth` field, give a Warning and
// are skipped. "credentials not found" from a helper is no warning.
func LoadDockerConfig(ctx context.Context, path string) (Keyring, []Warning, error) {
	return defaultLoader().load(ctx, path)
}

func (l loader) load(ctx context.Context, path string) (Keyring, []Warning, error) {
	r := &ring{}
	if path == "" {
		p, err := l.defaultPath()
		if err != nil {
			return r, nil, nil
		}
		path = p
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return r, nil, nil
	}
	if err != nil {
		return r, nil, fmt.Errorf("reading docker config: %w", err)
	}
	var cfg dockerConfigFile
	if err := json.Unmarshal(data, &cfg); err != nil {
		return r, nil, fmt.Errorf("docker config %s: %v", path, jsonError(err))
	}
	where := "docker config " + path
	creds := map[string]Credential{}
	var warns []Warning
	if cfg.CredsStore == "" {
		for _, s := range sortedKeys(cfg.Auths) {
			src := fmt.Sprintf("%s entry %q", where, s)
			a, err := cfg.Auths[s].authConfig()
			if err != nil {
				warns = append(warns, Warning{Source: src, Message: err.Error()})
				continue
			}
			creds[s] = Credential{Source: src, AuthConfig: a}
		}
	} else {
		h := l.helper(cfg.CredsStore)
		storeSrc := fmt.Sprintf("%s (credsStore in %s)", h.program(), where)
		servers, err := h.list(ctx)
		if err != nil {
			warns = append(warns, Warning{Source: storeSrc, Message: err.Error()})
		}
		for _, s := range servers {
			if _, own := cfg.CredHelpers[s]; own {
				continue
			}
			warns = l.fromHelper(ctx, h, fmt.Sprintf("%s entry %q", storeSrc, s), s, creds, warns)
		}
	}
	for _, s := range sortedKeys(cfg.CredHelpers) {
		h := l.helper(cfg.CredHelpers[s])
		src := fmt.Sprintf("%s (credHelpers in %s) entry %q", h.program(), where, s)
		warns = l.fromHelper(ctx, h, src, s, creds, warns)
	}
	for _, s := range sortedKeys(creds) {
		if err := r.add(s, creds[s]); err != nil {
			warns = append(warns, Warning{Source: creds[s].Source, Message: err.Error()})
		}
	}
	return r, warns, nil
}

func (l loader) helper(name string) helper {
	return helper{name: name, timeout: l.timeout, lookPath: l.lookPath}
}

// fromHelper asks h for server's credentials and records them in creds,
// replacing what was there (as docker lets credHelpers override). When the
// helper has none, the entry is removed; when it fails, a Warning is added
// and creds is left alone.
func (l loader) fromHelper(ctx context.Context, h helper, src, server string, creds map[string]Credential, warns []Warning) []Warning {
	a, found, err := h.get(ctx, server)
	switch {
	case err != nil:
		return append(warns, Warning{Source: src, Message: err.Error()})
	case !found:
		delete(creds, server)
	default:
		creds[server] = Credential{Source: src, AuthConfig: a}
	}
	return warns
}

// defaultPath is $DOCKER_CONFIG/config.json, else ~/.docker/config.json.
// DockerConfigPath is the docker config file LoadDockerConfig reads for
// path: path itself when set, else $DOCKER_CONFIG/config.json, else
// ~/.docker/config.json ("" when there is no home directory).
func DockerConfigPath(path string) string {
	if path != "" {
		return path
	}
	p, err := defaultLoader().defaultPath()
	if err != nil {
		return ""
	}
	return p
}

func (l loader) defaultPath() (string, error) {
	if d := l.getenv("DOCKER_CONFIG"); d != "" {
		return filepath.Join(d, "config.json"), nil
	}
	home, err := l.homeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".docker", "config.json"), nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

package credential

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/go-containerregistry/pkg/authn"
)

// helper runs a docker credential helper, docker-credential-NAME, with the
// protocol of docker's credential-helpers client: the action as the only
// argument, the server (or "unused" for list) on stdin without a newline,
// a JSON answer on stdout, and on failure a non-zero exit with the error
// message on stdout.
type helper struct {
	name     string
	timeout  time.Duration
	lookPath func(string) (string, error)
}

// notFoundMessage is what helpers print when they hold nothing for a
// server.
const notFoundMessage = "credentials not found in native keychain"

// tokenUsername marks a helper answer whose secret is an identity token.
const tokenUsername = "<token>"

func (h helper) program() string { return "docker-credential-" + h.name }

// get asks for server's credentials. found is false when the helper holds
// none.
func (h helper) get(ctx context.Context, server string) (a authn.AuthConfig, found bool, err error) {
	out, err := h.run(ctx, "get", server)
	if err != nil {
		if strings.Contains(err.Error(), notFoundMessage) {
			return authn.AuthConfig{}, false, nil
		}
		return authn.AuthConfig{}, false, err
	}
	a, err = parseGetAnswer(h.program(), out)
	return a, err == nil, err
}

// parseGetAnswer decodes a helper's answer to get: {"ServerURL", "Username",
// "Secret"}; the Username "<token>" marks an identity token. Errors never
// quote the answer.
func parseGetAnswer(program string, out []byte) (authn.AuthConfig, error) {
	var resp struct {
		ServerURL string
		Username  string
		Secret    string
	}
	if err := json.Unmarshal(out, &resp); err != nil {
		return authn.AuthConfig{}, fmt.Errorf("%s get: answer is not the helper JSON: %v", program, jsonError(err))
	}
	if resp.Username == tokenUsername {
		return authn.AuthConfig{IdentityToken: resp.Secret}, nil
	}
	return authn.AuthConfig{Username: resp.Username, Password: resp.Secret}, nil
}

// list returns the servers the helper holds credentials for, sorted.
func (h helper) list(ctx context.Context) ([]string, error) {
	out, err := h.run(ctx, "list", "unused")
	if err != nil {
		return nil, err
	}
	return parseListAnswer(h.program(), out)
}

// parseListAnswer decodes a helper's answer to list: {server: username}.
// It returns the servers, sorted.
func parseListAnswer(program string, out []byte) ([]string, error) {
	var m map[string]string
	if err := json.Unmarshal(out, &m); err != nil {
		return nil, fmt.Errorf("%s list: answer is not the helper JSON: %v", program, jsonError(err))
	}
	return sortedKeys(m), nil
}

func (h helper) run(ctx context.Context, action, input string) ([]byte, error) {
	prog, err := h.lookPath(h.program())
	if err != nil {
		return nil, fmt.Errorf("credential helper %s is not installed (not found in PATH)", h.program())
	}
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog, action)
	cmd.Stdin = strings.NewReader(input)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	cmd.WaitDelay = time.Second
	err = cmd.Run()
	if ctx.Err() != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("%s %s: no answer within %v", h.program(), action, h.timeout)
		}
		return nil, fmt.Errorf("%s %s: %v", h.program(), action, ctx.Err())
	}
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			msg := firstLine(stdout.String())
			if msg == "" {
				msg = "no message"
			}
			return nil, fmt.Errorf("%s %s failed (%v): %s", h.program(), action, ee.ProcessState, msg)
		}
		return nil, fmt.Errorf("%s %s: %v", h.program(), action, err)
	}
	return stdout.Bytes(), nil
}

// firstLine is the first line of s, capped, for error messages.
func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	const limit = 200
	if len(s) > limit {
		s = s[:limit]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
		s += "..."
	}
	return s
}

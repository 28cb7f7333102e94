package diagnose

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/pullwarden/pullwarden/cause"
	"github.com/pullwarden/pullwarden/registry"
)

// hostCheck is what the network steps found for one registry host; the
// Checker keeps it per host, so a batch asks each host once.
type hostCheck struct {
	dns, tcp, tls, api stepOutcome
	ping               registry.PingResult
}

type stepOutcome struct {
	status   Status
	evidence string
	err      error
}

func (o stepOutcome) apply(r *run, name string) bool {
	switch o.status {
	case Passed:
		r.pass(name, o.evidence)
	case Failed:
		r.fail(name, o.err)
		return false
	default:
		r.skip(name, o.evidence)
	}
	return true
}

// checkHost runs DNS, TCP, TLS and /v2/ against host ("name[:port]");
// scheme "http" (a hosts.toml entry's) makes the default port 80.
func (c *Checker) checkHost(ctx context.Context, host, scheme string) *hostCheck {
	h := &hostCheck{}
	name, port, err := net.SplitHostPort(host)
	if err != nil {
		name, port = strings.Trim(host, "[]"), "443"
		if scheme == "http" {
			port = "80"
		}
	}
	notReached := stepOutcome{status: Skipped, evidence: "not checked: an earlier network step failed"}
	h.tcp, h.tls, h.api = notReached, notReached, notReached
	if ip := net.ParseIP(name); ip != nil {
		h.dns = stepOutcome{status: Skipped, evidence: fmt.Sprintf("%s is an IP address", name)}
	} else {
		dctx, cancel := context.WithTimeout(ctx, c.opts.StepTimeout)
		addrs, err := c.opts.Resolver.LookupHost(dctx, name)
		cancel()
		if err != nil {
			h.dns = stepOutcome{status: Failed, err: cause.Wrap(cause.RegistryUnreachable, err,
				"cannot resolve the host of registry %s: %v", host, err)}
			return h
		}
		h.dns = stepOutcome{status: Passed, evidence: fmt.Sprintf("%s resolves to %s", name, strings.Join(first(addrs, 4), ", "))}
	}
	start := time.Now()
	tctx, cancel := context.WithTimeout(ctx, c.opts.StepTimeout)
	conn, err := c.opts.Dial(tctx, "tcp", net.JoinHostPort(name, port))
	cancel()
	if err != nil {
		h.tcp = stepOutcome{status: Failed, err: cause.Wrap(cause.RegistryUnreachable, err,
			"cannot connect to registry %s at %s: %v", host, net.JoinHostPort(name, port), unwrapOp(err))}
		return h
	}
	h.tcp = stepOutcome{status: Passed, evidence: fmt.Sprintf("connected to %s in %s", conn.RemoteAddr(), time.Since(start).Round(time.Millisecond))}
	conn.Close()
	pctx, cancel := context.WithTimeout(ctx, c.opts.StepTimeout)
	ping, err := c.opts.Registry.Ping(pctx, host)
	cancel()
	h.ping = ping
	switch {
	case ping.TLSFailed && !c.opts.Registry.AllowsHTTP(host):
		h.tls = stepOutcome{status: Failed, err: err}
		return h
	case ping.Scheme == "http" && ping.Status != 0:
		h.tls = stepOutcome{status: Skipped, evidence: "the registry speaks plain HTTP (allowed for loopback and --insecure-registry hosts only)"}
	case ping.Status != 0:
		ev := ping.TLSVersion + ", certificate verified"
		if ping.CertSubject != "" {
			ev += fmt.Sprintf(" (%s, expires %s)", ping.CertSubject, ping.CertExpires.UTC().Format("2006-01-02"))
		}
		h.tls = stepOutcome{status: Passed, evidence: ev}
	case ping.TLSFailed:
		h.tls = stepOutcome{status: Failed, err: err}
		return h
	default:
		h.tls = stepOutcome{status: Skipped, evidence: "no answer over https or http"}
	}
	if err != nil {
		h.api = stepOutcome{status: Failed, err: err}
		return h
	}
	ev := fmt.Sprintf("GET %s://%s/v2/ answered %d", ping.Scheme, host, ping.Status)
	if ping.Status == 401 {
		ev += ": the registry asks for credentials"
		if ping.Challenge != "" {
			ev += " (" + ping.Challenge + ")"
		}
	} else {
		ev += ": anonymous access to the API"
	}
	h.api = stepOutcome{status: Passed, evidence: ev}
	return h
}

func first(s []string, n int) []string {
	if len(s) > n {
		return append(s[:n:n], "...")
	}
	return s
}

// unwrapOp drops net.OpError's address prefix for a shorter message.
func unwrapOp(err error) error {
	if op, ok := err.(*net.OpError); ok && op.Err != nil {
		return op.Err
	}
	return err
}

package cli

import (
	"fmt"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// Checks of flag values: a bad value is a usage error naming the flag,
// never silently accepted.

// checkFileFlag fails when a file named by a flag does not exist.
func checkFileFlag(flag, path string) error {
	if path == "" {
		return nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return &usageError{fmt.Errorf("--%s %s: %w", flag, path, unwrapPathError(err))}
	}
	if fi.IsDir() {
		return &usageError{fmt.Errorf("--%s %s: is a directory, want a file", flag, path)}
	}
	return nil
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// hostLabel is a DNS label as registry host names use them.
var hostLabel = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$`)

// checkRegistryHosts fails on a value that is not HOST[:PORT] (a DNS name,
// an IPv4 address or a bracketed IPv6 address, and a port 1-65535).
func checkRegistryHosts(flag string, hosts []string) error {
	for _, h := range hosts {
		if err := checkRegistryHost(h); err != nil {
			return &usageError{fmt.Errorf("--%s %q: %v: want HOST[:PORT], e.g. registry.local:5000", flag, h, err)}
		}
	}
	return nil
}

func checkRegistryHost(h string) error {
	host, port := h, ""
	if strings.HasPrefix(h, "[") || strings.Count(h, ":") == 1 {
		var err error
		if host, port, err = net.SplitHostPort(h); err != nil {
			if !strings.HasPrefix(h, "[") || !strings.HasSuffix(h, "]") {
				return fmt.Errorf("bad host:port")
			}
			host, port = strings.Trim(h, "[]"), ""
		}
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("bad port %q", port)
		}
	}
	if host == "" {
		return fmt.Errorf("no host")
	}
	if net.ParseIP(host) != nil {
		return nil
	}
	for _, l := range strings.Split(host, ".") {
		if !hostLabel.MatchString(l) {
			return fmt.Errorf("%q is not a host name", host)
		}
	}
	return nil
}

// checkPositive fails when an integer flag is below 1.
func checkPositive(flag string, n int) error {
	if n < 1 {
		return &usageError{fmt.Errorf("--%s %d: must be at least 1", flag, n)}
	}
	return nil
}

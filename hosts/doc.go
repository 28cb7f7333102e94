// Package hosts reads containerd's registry host configuration (the
// config_path directory of the CRI plugin) and keeps a health record per
// endpoint, so that pullwarden tries the hosts a node is configured with,
// in the same order containerd would, and a dead mirror costs one attempt.
//
// # The layout, as containerd 2.x reads it
//
// For registry host "r.example:5000", the first directory that exists of
// <root>/r.example_5000_, <root>/r.example:5000 and <root>/_default holds
// the configuration (Dir). Its hosts.toml lists:
//
//	server = "https://registry-1.docker.io"   # the registry itself, tried last
//	ca = "root.pem"                            # top-level settings apply to server
//
//	[host."https://mirror.example"]            # mirrors, tried in file order
//	  capabilities = ["pull", "resolve"]       # default: all (pull, resolve, push, referrers)
//	  skip_verify = false
//	  ca = ["/etc/certs/a.pem", "b.pem"]       # a string or a list; relative to the directory
//	  client = [["c.cert", "c.key"], "both.pem"]
//	  override_path = true                     # the URL's path is the API root (no /v2 added)
//	  dial_timeout = "5s"
//	  [host."https://mirror.example".header]
//	    x-custom = "one"                       # a string or a list of strings
//
// Endpoints returns, in order, the [host."..."] entries as their table
// headers appear (a header [host."X".sub] right after [host."X"] adds
// nothing, but one that comes back to X later lists X again, exactly as
// containerd does), then the top-level entry. A server without a scheme
// is https; the path gets "/v2" unless it ends with it or override_path
// is set. When the file names no server, the last entry is the registry
// itself with every capability: docker.io is https://registry-1.docker.io,
// localhost and loopback hosts are http on any port but 443 (TLS
// verification skipped unless port 80), any other host https. An http
// entry with TLS settings (ca, client, skip_verify) on a port other than
// 80 becomes https with HTTPFallback set. A directory without hosts.toml
// (or with an empty one) is read in Docker's certs.d layout: *.crt CA
// files, *.cert client certificates with their *.key. Without a directory
// the registry itself is the only endpoint.
//
// # Applying an entry
//
// Endpoint.TLSConfig builds an entry's TLS configuration as containerd's
// ConfigureHosts does: its ca files added to the system pool, its client
// pairs (or one file holding certificate and key) as client certificates,
// skip_verify for that entry alone; no setting means the default,
// verified TLS. Endpoint.Registry turns an entry into what the registry
// client applies (registry.WithEndpoint): scheme, HTTP fallback, API root
// (the path as is with override_path: requests go to
// <path>/<repository>/manifests/<ref>, containerd's path.Join of the
// host path and the repository), TLS, dial timeout and headers. The
// client applies them to requests to that entry's host only. Three
// differences from containerd, all on the safe side: headers are not
// sent to a token server or a redirect target on another host (containerd
// sends them to its token server, and Go's client copies them across a
// redirect); the loopback default skip_verify (no server line) is not
// applied, so TLS stays verified unless a file says skip_verify; and the
// client asks an entry's API root for the /v2/ ping (containerd has no
// ping: it reads the challenge from the first 401), so an override_path
// host must answer GET <path>/.
//
// These rules are checked against containerd's own config package (the
// code the CRI runs) on the files in testdata/root and by FuzzParse on
// arbitrary files, and the applied TLS settings, HTTP fallback and
// headers against the clients ConfigureHosts builds
// (TestAppliedSettingsMatchContainerd), and the real containerd pulls
// through the same file as pullwarden does, from a mirror that needs ca,
// client, a header and override_path at once
// (TestRealContainerdAndPullwardenApplySameSettings). One difference is deliberate: containerd logs a
// hosts.toml it cannot parse and silently uses the registry itself;
// Endpoints returns a *ParseError naming the file, the entry and the
// field. containerd 1.6 (Debian 12) differs from 2.x in three ways a
// shared file may meet: it rejects the "referrers" capability and
// ignores dial_timeout, and it does not default loopback registries to
// http (write a server line).
//
// # Health
//
// A Health record, shared by every pull, marks an endpoint down after a
// failure that is the endpoint's own (HostFailure: by default network
// errors, TLS failures and deadlines) for DownInitial (5s), doubling per
// consecutive failure up to DownMax (5m). Order leaves down endpoints out
// (all of them when all are down); when the down time has passed, one
// caller gets the endpoint back as its probe while the others keep
// skipping it. Try walks the order, records each outcome, and goes on to
// the next endpoint after any failure, a timeout included (containerd
// #10624 gives up on the remaining mirrors after one times out); it
// returns the endpoint that served, for the pod's events.
package hosts

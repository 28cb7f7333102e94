package cli

import "runtime/debug"

// version is set at build time with
// -ldflags "-X github.com/pullwarden/pullwarden/internal/cli.version=v1.2.3";
// otherwise it comes from the module's build information.
var version = ""

// Version is pullwarden's version: the build-time version, else the main
// module's version and VCS revision recorded by the go tool, else "devel".
func Version() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	v := bi.Main.Version
	if v == "" || v == "(devel)" {
		v = "devel"
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += "+" + s.Value[:12]
		}
		if s.Key == "vcs.modified" && s.Value == "true" {
			v += "-dirty"
		}
	}
	return v
}

package printer

import (
	"bytes"
	"encoding/json"
	"fmt"

	"sigs.k8s.io/yaml"
)

// Marshal prints an API object as `kubectl ... -o FORMAT` does for one
// object: "json" is encoding/json indented by four spaces with a final
// newline, "yaml" is sigs.k8s.io/yaml. The object must carry its kind and
// apiVersion.
//
// An unset creation time is left out, as kubectl 1.37 (k8s.io/apimachinery
// 0.37) does; kubectl 1.32 printed `creationTimestamp: null`.
func Marshal(obj any, format string) ([]byte, error) {
	if format != "json" && format != "yaml" {
		return nil, fmt.Errorf("unable to match a printer suitable for the output format %q, allowed formats are: json,yaml", format)
	}
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	if format == "yaml" {
		return yaml.JSONToYAML(b)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "    "); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

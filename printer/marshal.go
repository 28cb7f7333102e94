package printer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"sigs.k8s.io/yaml"
)

// Marshal prints an API object as `kubectl ... -o FORMAT` does for one
// object: "json" is encoding/json indented by four spaces with a final
// newline, "yaml" is sigs.k8s.io/yaml. The object must carry its kind and
// apiVersion.
//
// The installed kubectl (1.32) prints an unset creation time as
// `creationTimestamp: null`; k8s.io/apimachinery from 1.34 on leaves it
// out. Marshal puts it back, in the place kubectl prints it, so the bytes
// are the same as kubectl's.
func Marshal(obj any, format string) ([]byte, error) {
	if format != "json" && format != "yaml" {
		return nil, fmt.Errorf("unable to match a printer suitable for the output format %q, allowed formats are: json,yaml", format)
	}
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	b, err = withNullCreationTimestamp(b)
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

// metaBeforeCreation are the ObjectMeta fields that precede
// creationTimestamp in the struct, hence in kubectl's JSON.
var metaBeforeCreation = map[string]bool{
	"name": true, "generateName": true, "namespace": true, "selfLink": true,
	"uid": true, "resourceVersion": true, "generation": true,
}

func withNullCreationTimestamp(b []byte) ([]byte, error) {
	var top orderedObject
	if err := json.Unmarshal(b, &top); err != nil {
		return b, nil // not an object: print as is
	}
	i := top.index("metadata")
	if i < 0 {
		return b, nil
	}
	var meta orderedObject
	if err := json.Unmarshal(top[i].val, &meta); err != nil {
		return b, nil
	}
	if meta.index("creationTimestamp") >= 0 {
		return b, nil
	}
	at := 0
	for at < len(meta) && metaBeforeCreation[meta[at].key] {
		at++
	}
	meta = append(meta[:at], append(orderedObject{{"creationTimestamp", json.RawMessage("null")}}, meta[at:]...)...)
	mb, err := json.Marshal(meta)
	if err != nil {
		return nil, err
	}
	top[i].val = mb
	return json.Marshal(top)
}

// orderedObject is a JSON object that keeps its keys' order.
type orderedObject []member

type member struct {
	key string
	val json.RawMessage
}

func (o orderedObject) index(key string) int {
	for i, m := range o {
		if m.key == key {
			return i
		}
	}
	return -1
}

func (o *orderedObject) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	t, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := t.(json.Delim); !ok || d != '{' {
		return errors.New("not a JSON object")
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return err
		}
		*o = append(*o, member{key: t.(string), val: val})
	}
	return nil
}

func (o orderedObject) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, err := json.Marshal(m.key)
		if err != nil {
			return nil, err
		}
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(m.val)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

package manifest

import (
	"encoding/json"
	"testing"
)

// FuzzDecode feeds arbitrary bytes through what the agent does with a
// manifest: decode, default, admit, validate. Nothing may panic, and every
// decoded object must survive a JSON round trip unchanged in kind and name.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(twoDocs))
	f.Add([]byte(`{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Secret","metadata":{"name":"a"},"stringData":{"k":"v"}}]}`))
	f.Add([]byte("apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n  containers:\n  - {name: a, image: 'nginx:1', ports: [{containerPort: 80}], resources: {limits: {cpu: 1}}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		docs, err := Decode("fuzz.yaml", data)
		if err != nil {
			return
		}
		for _, d := range docs {
			obj := d.Object
			Default(obj)
			PrepareForCreate(obj)
			_ = Validate(obj)
			raw, err := json.Marshal(obj)
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			back, err := DecodeObject(raw)
			if err != nil {
				t.Fatalf("round trip of %s: %v", raw, err)
			}
			k1, _ := KindOf(obj)
			k2, _ := KindOf(back)
			if k1.Name != k2.Name || back.GetName() != obj.GetName() {
				t.Fatalf("round trip changed %s/%s into %s/%s", k1.Name, obj.GetName(), k2.Name, back.GetName())
			}
		}
	})
}

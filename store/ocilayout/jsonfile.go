package ocilayout

import (
	"encoding/json"
	"os"
)

func writeJSONAtomic(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, append(b, '\n'))
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func readStateJSON(b []byte, st *hashState) bool {
	return json.Unmarshal(b, st) == nil
}

package ocilayout

import (
	"encoding/json"
	"fmt"
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

// parseHashState parses a saved hash state (ingest hashstate file).
func parseHashState(b []byte, st *hashState) error {
	if err := json.Unmarshal(b, st); err != nil {
		return err
	}
	if st.Offset < 0 {
		return fmt.Errorf("negative offset %d", st.Offset)
	}
	return nil
}

package loadgen

import (
	"encoding/json"
	"fmt"
	"io"
)

// WriteJSON writes r as indented JSON with a trailing newline.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

package printer

import (
	"encoding/json"
	"fmt"
	"io"

	"galaxy/galaxyctl/internal/loadgen/report"
)

// jsonReport is a Report whose notes are named for the reader: the outer
// Notes hides the Report's own, in the same place in the object.
type jsonReport struct {
	*report.Report
	Notes []string `json:"notes"`
}

// WriteJSON writes r as indented JSON with a trailing newline, with the
// settings its notes suggest named by name (in Config's words when nil).
func WriteJSON(w io.Writer, r *report.Report, name report.Namer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // thresholds read "<=", not "\u003c="
	if err := enc.Encode(jsonReport{Report: r, Notes: report.Texts(r.Notes, name)}); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

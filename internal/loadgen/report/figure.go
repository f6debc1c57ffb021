package report

import (
	"encoding/json"
	"math"
	"strconv"
)

// Figure is a measured figure that can be missing: a per-heartbeat figure
// of a run with no measurement window, or no heartbeat in it, has no
// value. A missing Figure is NaN, so arithmetic on it stays missing, and
// null in JSON, never a misleading 0.
type Figure float64

// Missing is the Figure of nothing measured.
var Missing = Figure(math.NaN())

// OK is whether f was measured.
func (f Figure) OK() bool { return !math.IsNaN(float64(f)) }

// MarshalJSON writes f as a number, or null when it is missing.
func (f Figure) MarshalJSON() ([]byte, error) {
	if !f.OK() {
		return []byte("null"), nil
	}
	return json.Marshal(float64(f))
}

// UnmarshalJSON reads a number, or null as missing.
func (f *Figure) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = Missing
		return nil
	}
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return err
	}
	*f = Figure(v)
	return nil
}

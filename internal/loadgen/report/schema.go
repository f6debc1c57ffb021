package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
)

// SchemaVersion is the version of the report's JSON contract, written as
// schema_version. It changes only when a key is renamed, removed or
// changes meaning; new keys keep it.
const SchemaVersion = 1

// ErrNotReport is wrapped by Decode's error for input that is not a bench
// report.
var ErrNotReport = errors.New("not a bench report")

// SchemaVersionError is Decode's error for a report of another version of
// the contract.
type SchemaVersionError struct{ Got float64 }

func (e *SchemaVersionError) Error() string {
	return fmt.Sprintf("a bench report of schema version %v; this galaxyctl reads version %d", e.Got, SchemaVersion)
}

// reportKeys are keys every bench report has, whatever its version: what
// tells a report from other JSON.
var reportKeys = []string{"config", "heartbeats", "bytes", "layers", "projection"}

// Decode reads a report as the JSON printer writes it. It returns the
// report and the same JSON as a generic document (objects are
// map[string]any), which keeps keys this version does not know, such as
// another run's shards. Input that is not JSON, or JSON that is not a
// bench report, is an error wrapping ErrNotReport; a report of another
// schema version is a *SchemaVersionError. Reports written before
// schema_version existed have the shape of version 1 and read as it.
func Decode(b []byte) (*Report, map[string]any, error) {
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&doc); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			return nil, nil, fmt.Errorf("%w: JSON %s, not an object", ErrNotReport, ute.Value)
		}
		return nil, nil, fmt.Errorf("%w: not JSON (%w)", ErrNotReport, err)
	}
	if doc == nil {
		return nil, nil, fmt.Errorf("%w: JSON null, not an object", ErrNotReport)
	}
	var missing []string
	for _, k := range reportKeys {
		if _, ok := doc[k]; !ok {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return nil, nil, fmt.Errorf("%w: a JSON object without %q", ErrNotReport, missing)
	}
	if v, ok := doc["schema_version"]; ok {
		n, isNum := v.(float64)
		if !isNum {
			return nil, nil, fmt.Errorf("%w: schema_version is %v, not a number", ErrNotReport, v)
		}
		if n != SchemaVersion || math.IsNaN(n) {
			return nil, nil, &SchemaVersionError{Got: n}
		}
	}
	r := new(Report)
	if err := json.Unmarshal(b, r); err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrNotReport, err)
	}
	r.SchemaVersion = SchemaVersion
	return r, doc, nil
}

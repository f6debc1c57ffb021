package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"galaxy/galaxyctl/internal/loadgen/report"
	"galaxy/galaxyctl/internal/loadgen/threshold"
)

// checkWritable fails, as a usage error naming flag, when file cannot be
// created in its directory: found before a long run, not after it.
func checkWritable(flag, file string) error {
	if file == "" {
		return nil
	}
	if st, err := os.Stat(file); err == nil && st.IsDir() {
		return usagef("%s %s: is a directory, want a file to write", flag, file)
	}
	f, err := os.CreateTemp(filepath.Dir(file), ".galaxyctl-check-*")
	if err != nil {
		return usagef("%s %s: cannot write there: %v", flag, file, err)
	}
	// An empty probe file: whether it closes or is removed changes nothing
	// about the answer, which the create gave.
	_ = f.Close()
	_ = os.Remove(f.Name())
	return nil
}

// writeFile writes what write produces to file, naming flag in errors.
func writeFile(flag, file string, write func(io.Writer) error) error {
	f, err := os.Create(file) //nolint:gosec // G304: a file the user names to write (--report-html, --html, --timeseries)
	if err != nil {
		return fmt.Errorf("%s: %w", flag, err)
	}
	if err := write(f); err != nil {
		_ = f.Close() // the write's error is the one to report

		return fmt.Errorf("%s %s: %w", flag, file, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("%s %s: %w", flag, file, err)
	}
	return nil
}

// loadedReport is a bench report read from a file.
type loadedReport struct {
	file string
	raw  []byte
	rep  *report.Report
	doc  map[string]any
}

// loadReport reads a saved bench report. A file that cannot be read,
// that is not a bench report or that has another schema version is a
// usage error naming it.
func loadReport(what, file string) (*loadedReport, error) {
	raw, err := os.ReadFile(file) //nolint:gosec // G304: the report file the user names to read
	if err != nil {
		return nil, usagef("%s %s: %v", what, file, unwrapPathError(err))
	}
	rep, doc, err := report.Decode(raw)
	if err != nil {
		var sv *report.SchemaVersionError
		if errors.As(err, &sv) {
			return nil, usagef("%s %s: %v; read it with the galaxyctl that wrote it", what, file, err)
		}
		return nil, usagef("%s %s: %v; want the JSON of bench -o json or --report", what, file, err)
	}
	return &loadedReport{file: file, raw: raw, rep: rep, doc: doc}, nil
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// parseThresholds parses every --threshold; relative ones (KEY:+5%) only
// where there is a base to hold them against.
func parseThresholds(specs []string, relative bool) ([]threshold.Threshold, error) {
	out := make([]threshold.Threshold, 0, len(specs))
	for _, s := range specs {
		t, err := threshold.Parse(s)
		if err != nil {
			return nil, usagef("--threshold %v", err)
		}
		if t.Relative && !relative {
			return nil, usagef("--threshold %q: a change against a base (KEY:+N%%) needs two reports: use it with galaxyctl bench compare; here give KEY OP VALUE, like %s<=160", s, t.Key)
		}
		out = append(out, t)
	}
	return out, nil
}

// checkThresholds holds a report's JSON against ts.
func checkThresholds(raw []byte, ts []threshold.Threshold) ([]report.ThresholdResult, error) {
	if len(ts) == 0 {
		return []report.ThresholdResult{}, nil
	}
	_, doc, err := report.Decode(raw)
	if err != nil {
		return nil, err
	}
	rs := make([]report.ThresholdResult, 0, len(ts))
	for _, t := range ts {
		rs = append(rs, t.Check(doc))
	}
	return rs, nil
}

// thresholdVerdict is the error of failed thresholds, nil when all passed.
func thresholdVerdict(rs []report.ThresholdResult) error {
	var failed []string
	for _, r := range rs {
		if !r.Pass {
			failed = append(failed, r.Threshold)
		}
	}
	if failed == nil {
		return nil
	}
	return &thresholdError{failed: failed, total: len(rs)}
}

// reportJSON is r's JSON as bench prints it, hints named by flag.
func reportJSON(r *report.Report) ([]byte, error) {
	var b bytes.Buffer
	if err := writeReportJSON(&b, r); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// withThresholds is the saved report raw with its thresholds set to rs,
// every other key kept as the file has it, in its order: keys this
// version does not know (a merged run's shards) survive.
func withThresholds(raw []byte, rs []report.ThresholdResult) ([]byte, error) {
	var enc bytes.Buffer
	e := json.NewEncoder(&enc)
	e.SetEscapeHTML(false) // "<=", as bench writes it
	if err := e.Encode(rs); err != nil {
		return nil, err
	}
	value := bytes.TrimSpace(enc.Bytes())
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("%w: not a JSON object", report.ErrNotReport)
	}
	var b bytes.Buffer
	b.WriteByte('{')
	replaced := false
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		if key, _ := t.(string); key == "thresholds" {
			v, replaced = value, true
		}
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(t)
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	if !replaced {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		b.WriteString(`"thresholds":`)
		b.Write(value)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

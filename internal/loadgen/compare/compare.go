// Package compare sets two bench reports side by side, as benchstat does
// for Go benchmarks: each figure of the base and the new run with its
// change in absolute and relative terms, the configuration keys that
// differ (comparing static with dynamic windows, or TLS with h2c, is a
// normal use, said in a warning), and relative thresholds that gate a
// change in CI.
package compare

import (
	"time"

	"galaxy/galaxyctl/internal/loadgen/report"
	"galaxy/galaxyctl/internal/loadgen/threshold"
	"galaxy/galaxyctl/internal/units"
)

// Input is one report to compare: its file name, the report and the same
// JSON as a generic document (what config diffs and thresholds read).
type Input struct {
	File   string
	Report *report.Report
	Doc    map[string]any
}

// Result is a comparison; its JSON is bench compare -o json, documented
// in the README.
type Result struct {
	SchemaVersion int            `json:"schema_version"`
	Base          Side           `json:"base"`
	New           Side           `json:"new"`
	ConfigDiff    []ConfigChange `json:"config_diff"`
	Warnings      []string       `json:"warnings"`
	Figures       []Row          `json:"figures"`
	Thresholds    []ThresholdRow `json:"thresholds"`
}

// Side says which run a side of the comparison is.
type Side struct {
	File        string    `json:"file"`
	StartedAt   time.Time `json:"started_at"`
	Interrupted bool      `json:"interrupted"`
	MeasureMS   float64   `json:"measure_ms"`
	// Summary is the run in a few words: "1,000 clients, h2c, client
	// window dynamic".
	Summary string `json:"summary"`
}

// Units of a Row: what its figures count, which decides how they print.
const (
	UnitBytes       = "bytes"         // per heartbeat
	UnitSegments    = "segments"      // per heartbeat
	UnitMemory      = "memory_bytes"  // per stream
	UnitMillis      = "ms"            // a duration
	UnitCount       = "count"         // clients, heartbeats
	UnitRate        = "per_s"         // events per second
	UnitBytesPerDay = "bytes_per_day" // the projection
	UnitMbitPerS    = "mbit_per_s"    // the projection
	UnitRatio       = "ratio"         // goroutines per stream
)

// Row is one figure of both runs. Change is New − Base; ChangePct is it
// relative to Base, missing when Base is 0 or either side is missing.
type Row struct {
	Section   string        `json:"section"`
	Key       string        `json:"key"`
	Label     string        `json:"-"`
	Unit      string        `json:"unit"`
	Base      report.Figure `json:"base"`
	New       report.Figure `json:"new"`
	Change    report.Figure `json:"change"`
	ChangePct report.Figure `json:"change_pct"`
}

// ThresholdRow is a threshold held against the new report; Base and
// Percent are set for a relative one (KEY:+5%).
type ThresholdRow struct {
	report.ThresholdResult
	Base    report.Figure `json:"base"`
	Percent *float64      `json:"percent"`
}

// Compare sets base and next (the new run) side by side and checks ts,
// relative ones against base, absolute ones against next.
func Compare(base, next Input, ts []threshold.Threshold) *Result {
	res := &Result{
		SchemaVersion: report.SchemaVersion,
		Base:          side(base),
		New:           side(next),
		Figures:       figures(base.Report, next.Report),
		Thresholds:    []ThresholdRow{},
	}
	res.ConfigDiff = configDiff(base.Doc, next.Doc)
	res.Warnings = warnings(res)
	for _, t := range ts {
		r, b := t.CheckRelative(base.Doc, next.Doc)
		row := ThresholdRow{ThresholdResult: r, Base: b}
		if t.Relative {
			p := t.Percent
			row.Percent = &p
		}
		res.Thresholds = append(res.Thresholds, row)
	}
	return res
}

// Failed counts the thresholds that did not pass.
func (r *Result) Failed() int {
	n := 0
	for _, t := range r.Thresholds {
		if !t.Pass {
			n++
		}
	}
	return n
}

func side(in Input) Side {
	r := in.Report
	transport := "h2c"
	if r.Config.TLS {
		transport = "TLS"
	}
	return Side{
		File:        in.File,
		StartedAt:   r.StartedAt,
		Interrupted: r.Interrupted,
		MeasureMS:   r.Durations.MeasureMS,
		Summary: units.Count(r.Config.Clients) + " clients, " + transport + ", client window " +
			r.Config.ClientWindow,
	}
}

// row builds a Row with its change.
func row(section, key, label, unit string, base, next report.Figure) Row {
	r := Row{Section: section, Key: key, Label: label, Unit: unit, Base: base, New: next,
		Change: next - base, ChangePct: report.Missing}
	if base.OK() && next.OK() && base != 0 {
		r.ChangePct = (next - base) / abs(base) * 100
	}
	return r
}

func abs(f report.Figure) report.Figure {
	if f < 0 {
		return -f
	}
	return f
}

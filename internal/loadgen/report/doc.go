// Package report turns what a bench run measured into what it means: the
// Report (the JSON contract of `galaxyctl bench -o json`), built by Build
// from a Measurement, the wire-cost model of DESIGN.md (Model), the
// projection to fleet scale (Project) and the notes that say in plain
// words where the figures depart from the model.
//
// A Measurement is plain data: counters already reduced to the
// measurement window, gap histograms as bucket counts, memory and server
// samples. Build is pure, so a report can be rebuilt wherever the
// Measurement is, and the live view shows figures built by the same code
// as the final report.
//
// Notes never name a command's flags: a setting a note suggests is a Hint
// in the words of loadgen.Config's fields, and whoever prints the report
// names it (the CLI says --client-window static).
package report

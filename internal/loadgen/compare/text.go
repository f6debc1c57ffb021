package compare

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"

	"galaxy/galaxyctl/internal/loadgen/report"
	"galaxy/galaxyctl/internal/loadgen/threshold"
	"galaxy/galaxyctl/internal/units"
)

// sectionTitles head each section of the text.
var sectionTitles = map[string]string{
	"bytes":      "bytes per heartbeat (IP: headers included; in: server to client, out: client to server)",
	"layers":     "layers, per heartbeat",
	"segments":   "TCP segments per heartbeat",
	"heartbeats": "heartbeats and gaps",
	"memory":     "memory per stream",
	"projection": "projection",
	"clients":    "clients",
}

// WriteText writes r for a terminal: the two runs, the configuration that
// differs and the warnings, each figure side by side, the thresholds.
func WriteText(w io.Writer, r *Result) error {
	var b strings.Builder
	put(&b, "bench compare\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, s := range []struct {
		name string
		side Side
	}{{"base", r.Base}, {"new", r.New}} {
		put(tw, "  %s\t%s\t%s, measured %s\n", s.name, s.side.File, s.side.Summary, units.Millis(s.side.MeasureMS))
	}
	_ = tw.Flush() // into a strings.Builder: cannot fail
	if len(r.ConfigDiff) > 0 {
		b.WriteString("\nconfiguration that differs\n")
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		put(tw, "  key\tbase\tnew\n")
		for _, c := range r.ConfigDiff {
			put(tw, "  %s\t%s\t%s\n", c.Key, clip(valueText(c.Base)), clip(valueText(c.New)))
		}
		_ = tw.Flush() // into a strings.Builder: cannot fail
	}
	for _, warn := range r.Warnings {
		put(&b, "warning: %s\n", warn)
	}
	writeFigures(&b, r)
	writeThresholds(&b, r)
	_, err := io.WriteString(w, b.String())
	return err
}

// writeFigures writes one table aligned across sections, a title line
// before each section.
func writeFigures(b *strings.Builder, r *Result) {
	type line struct {
		title string
		cells [5]string
	}
	lines := []line{{cells: [5]string{"", "base", "new", "change", "change %"}}}
	section := ""
	for _, row := range r.Figures {
		if row.Section != section {
			section = row.Section
			lines = append(lines, line{title: sectionTitles[section]})
		}
		lines = append(lines, line{cells: [5]string{row.Label, Format(row.Unit, row.Base), Format(row.Unit, row.New),
			Change(row.Unit, row.Change), pct(float64(row.ChangePct))}})
	}
	var width [5]int
	for _, l := range lines {
		for i, c := range l.cells {
			width[i] = max(width[i], len([]rune(c)))
		}
	}
	b.WriteString("\n")
	for _, l := range lines {
		if l.title != "" {
			b.WriteString(l.title + "\n")
			continue
		}
		put(b, "  %-*s", width[0], l.cells[0])
		for i := 1; i < len(l.cells); i++ {
			put(b, "  %*s", width[i], l.cells[i])
		}
		b.WriteString("\n")
	}
}

func writeThresholds(b *strings.Builder, r *Result) {
	if len(r.Thresholds) == 0 {
		return
	}
	if n := r.Failed(); n > 0 {
		put(b, "\nthresholds: %d of %d failed\n", n, len(r.Thresholds))
	} else {
		put(b, "\nthresholds: all %d passed\n", len(r.Thresholds))
	}
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	put(tw, "  result\tthreshold\tbase\tnew\tlimit\n")
	for _, t := range r.Thresholds {
		base := "-"
		if t.Percent != nil {
			base = threshold.Format(t.Key, t.Base)
		}
		put(tw, "  %s\t%s\t%s\t%s\t%s %s\n", threshold.Verdict(t.ThresholdResult), t.Threshold, base,
			threshold.Format(t.Key, t.Value), t.Op, threshold.Format(t.Key, t.Limit))
	}
	_ = tw.Flush() // into a strings.Builder: cannot fail
}

// WriteJSON writes r as indented JSON.
func WriteJSON(w io.Writer, r *Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // thresholds read "<=", not "\u003c="
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("write comparison: %w", err)
	}
	return nil
}

// Format writes a figure of unit; "-" when it is missing.
func Format(unit string, f report.Figure) string {
	v := float64(f)
	if !f.OK() {
		return "-"
	}
	switch unit {
	case UnitBytes, UnitRatio, UnitRate:
		return units.Fixed(v, 2)
	case UnitSegments, UnitMbitPerS:
		return units.Fixed(v, 3)
	case UnitMemory:
		return units.IEC(v)
	case UnitMillis:
		return units.Millis(v)
	case UnitBytesPerDay:
		return units.Bytes(v)
	}
	return units.Whole(v)
}

// Change writes a change of unit with its sign.
func Change(unit string, f report.Figure) string {
	s := Format(unit, f)
	if f.OK() && !strings.HasPrefix(s, "-") {
		return "+" + s
	}
	return s
}

func pct(p float64) string {
	if math.IsNaN(p) || math.IsInf(p, 0) {
		return "-"
	}
	return fmt.Sprintf("%+.1f %%", p)
}

// clip keeps a config value to a table cell's width.
func clip(s string) string {
	if len(s) > 36 {
		return s[:33] + "..."
	}
	return s
}

// put writes to a strings.Builder, directly or through a tabwriter, which
// cannot fail; WriteText returns the one write that can, to w.
func put(w io.Writer, format string, args ...any) { _, _ = fmt.Fprintf(w, format, args...) }

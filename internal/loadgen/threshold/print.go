package threshold

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"

	"galaxy/galaxyctl/internal/loadgen/report"
	"galaxy/galaxyctl/internal/units"
)

// Format writes v as key's unit reads: bytes in SI (86.00 B, 1.66 MB),
// memory in IEC (40.0 KiB), milliseconds as a duration, counts plain;
// "null" when it is missing.
func Format(key string, v report.Figure) string {
	if !v.OK() {
		return "null"
	}
	f := float64(v)
	switch UnitOf(key) {
	case Bytes:
		if math.Abs(f) < 1000 {
			return units.Fixed(f, 2) + " B"
		}
		return units.Bytes(f)
	case Memory:
		return units.IEC(f)
	case Millis:
		return units.Millis(f)
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return units.Whole(f)
	}
	return units.Fixed(f, 3)
}

// WriteText writes the results as a pass/fail table, a headline first:
// "thresholds: 1 of 3 failed".
func WriteText(w io.Writer, rs []report.ThresholdResult) error {
	if len(rs) == 0 {
		return nil
	}
	head := fmt.Sprintf("thresholds: all %d passed\n", len(rs))
	if n := Failed(rs); n > 0 {
		head = fmt.Sprintf("thresholds: %d of %d failed\n", n, len(rs))
	}
	var b strings.Builder
	b.WriteString(head)
	// The table goes into a strings.Builder, which cannot fail; the one
	// write that can is the last, to w.
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	_, _ = fmt.Fprintf(tw, "  result\tthreshold\tvalue\tlimit\n")
	for _, r := range rs {
		_, _ = fmt.Fprintf(tw, "  %s\t%s\t%s\t%s %s\n", Verdict(r), r.Threshold, Format(r.Key, r.Value), r.Op, Format(r.Key, r.Limit))
	}
	_ = tw.Flush() // into a strings.Builder: cannot fail
	_, err := io.WriteString(w, b.String())
	return err
}

// Verdict is "pass" or "FAIL", capitals to stand out in a table.
func Verdict(r report.ThresholdResult) string {
	if r.Pass {
		return "pass"
	}
	return "FAIL"
}

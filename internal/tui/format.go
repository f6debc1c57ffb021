package tui

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"galaxy/galaxyctl/internal/loadgen"
)

// commas formats n with thousands separators: 489,600.
func commas(n int64) string {
	if n < 0 {
		return "-" + ucommas(uint64(-n))
	}
	return ucommas(uint64(n))
}

func ucommas(n uint64) string {
	s := strconv.FormatUint(n, 10)
	if len(s) <= 3 {
		return s
	}
	head := len(s) % 3
	if head == 0 {
		head = 3
	}
	b := make([]byte, 0, len(s)+len(s)/3)
	b = append(b, s[:head]...)
	for i := head; i < len(s); i += 3 {
		b = append(b, ',')
		b = append(b, s[i:i+3]...)
	}
	return string(b)
}

// fcommas rounds f to a whole number with thousands separators.
func fcommas(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "-"
	}
	return commas(int64(math.Round(f)))
}

// bytesSI formats a byte count with decimal units, as bandwidth is billed
// (and as loadgen's text report does).
func bytesSI(f float64) string {
	units := [...]string{"B", "kB", "MB", "GB", "TB", "PB"}
	i := 0
	for math.Abs(f) >= 999.995 && i < len(units)-1 {
		f /= 1000
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0f B", f)
	}
	return fmt.Sprintf("%.2f %s", f, units[i])
}

// clock formats a phase's elapsed or remaining time to the second: 42s,
// 3m05s, 1h02m03s.
func clock(d time.Duration) string {
	d = max(d, 0).Round(time.Second)
	h, m, s := int(d/time.Hour), int(d/time.Minute)%60, int(d/time.Second)%60
	switch {
	case h > 0:
		return fmt.Sprintf("%dh%02dm%02ds", h, m, s)
	case m > 0:
		return fmt.Sprintf("%dm%02ds", m, s)
	}
	return fmt.Sprintf("%ds", s)
}

// gapDur formats a heartbeat gap precisely enough to see a 15 s interval
// drift by 10 ms.
func gapDur(d time.Duration) string {
	switch {
	case d <= 0:
		return "0"
	case d >= 100*time.Second:
		return fmt.Sprintf("%.0fs", d.Seconds())
	case d >= time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	case d >= 10*time.Millisecond:
		return fmt.Sprintf("%.0fms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
}

// interval formats a configured interval without noise: 15s, 500ms, 1m30s.
func interval(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return d.String()
}

// bucketLabels name a histogram's bars by their upper bounds. loadgen's
// bars are contiguous and the last may be the overflow, whose bound is
// the largest Duration: it is named after the bar before it.
func bucketLabels(bs []loadgen.GapBucket) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		switch {
		case b.Upper < math.MaxInt64:
			out[i] = "≤" + bound(b.Upper)
		case i > 0:
			out[i] = ">" + bound(bs[i-1].Upper)
		default:
			out[i] = "longer"
		}
	}
	return out
}

// Bars sit at fractions of the interval (0.98, 1.02, ...), so keep the
// digits that tell them apart: "1.02s", not "1s".
func bound(d time.Duration) string {
	if d < time.Second {
		return strconv.FormatInt(int64(d/time.Millisecond), 10) + "ms"
	}
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "s"
}

// perHB formats a per-heartbeat byte figure.
func perHB(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) }

// rate formats an events-per-second figure.
func rate(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

// secondsDur converts seconds to a Duration, saturating rather than
// overflowing for an absurd estimate.
func secondsDur(s float64) time.Duration {
	if s >= float64(1<<62)/float64(time.Second) {
		return 1 << 62
	}
	return time.Duration(s * float64(time.Second))
}

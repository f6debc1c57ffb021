package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"
)

// Column widths of pretty tail lines: types and users longer than these
// are cut with an ellipsis (JSON has them whole), so the columns after
// them stay aligned.
const (
	typeColumn    = 20
	userColumn    = 10
	latencyColumn = 7
)

// column makes s terminal-safe and fits it to exactly width cells:
// padded, or cut with an ellipsis.
func column(s string, width int) string {
	s = termSafe(s)
	if ansi.StringWidth(s) > width {
		s = ansi.Truncate(s, width, "…")
	}
	return s + strings.Repeat(" ", width-ansi.StringWidth(s))
}

// fitWidth cuts s, already terminal-safe, to width cells with an ellipsis;
// a width of 0 or less means no limit.
func fitWidth(s string, width int) string {
	if width <= 0 || ansi.StringWidth(s) <= width {
		return s
	}
	return ansi.Truncate(s, width, "…")
}

// humanLatency formats a latency for people: 0.3ms, 12.5ms, 1.2s, 30.0s,
// 2m05s.
func humanLatency(ms float64) string {
	d := time.Duration(ms * float64(time.Millisecond))
	switch {
	case d < 0:
		return "-" + humanLatency(-ms)
	case d < time.Second:
		return fmt.Sprintf("%.1fms", ms)
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d/time.Minute), int(d/time.Second)%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d/time.Hour), int(d/time.Minute)%60)
}

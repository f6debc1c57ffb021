// Package units is the one set of number formatters that bench's text
// report, live view, progress bars and log lines share, so a figure reads
// the same wherever it is printed: decimal SI for traffic and volumes
// (B, kB, MB; kB/s, MB/day), binary IEC for memory (KiB, MiB), thousands
// separators for counts, and durations in ms or s.
package units

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// Bytes formats a byte count in decimal SI units, as bandwidth is billed:
// 850 B, 21.56 kB, 4.90 GB. A value that would round up to the next unit
// is shown in it (999.999 B is 1.00 kB).
func Bytes(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "-"
	}
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

// Rate formats bytes per second: 100.80 kB/s.
func Rate(bytesPerSec float64) string { return Bytes(bytesPerSec) + "/s" }

// PerDay formats bytes per day: 19.59 GB/day.
func PerDay(bytesPerDay float64) string { return Bytes(bytesPerDay) + "/day" }

// Mbit formats a bit rate given in Mbit/s: 1.814 Mbit/s.
func Mbit(mbitPerSec float64) string { return Fixed(mbitPerSec, 3) + " Mbit/s" }

// IEC formats a memory size in binary units: 512 B, 40.2 KiB, 412.00 MiB,
// 3.00 GiB.
func IEC(f float64) string {
	a := math.Abs(f)
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0):
		return "-"
	case a >= 1<<30:
		return fmt.Sprintf("%.2f GiB", f/(1<<30))
	case a >= 1<<20:
		return fmt.Sprintf("%.2f MiB", f/(1<<20))
	case a >= 1<<10:
		return fmt.Sprintf("%.1f KiB", f/(1<<10))
	}
	return fmt.Sprintf("%.0f B", f)
}

// Integer is any integer type Count formats.
type Integer interface {
	~int | ~int32 | ~int64 | ~uint | ~uint32 | ~uint64
}

// Count formats an integer with thousands separators: 489,600.
func Count[T Integer](n T) string {
	if n < 0 {
		return "-" + group(strconv.FormatUint(uint64(-int64(n)), 10))
	}
	return group(strconv.FormatUint(uint64(n), 10))
}

// Whole rounds f to a whole number with thousands separators; NaN and
// infinities are "-".
func Whole(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) >= 1<<63 {
		return "-"
	}
	return Count(int64(math.Round(f)))
}

func group(s string) string {
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

// Fixed formats f with n decimals: a per-heartbeat byte figure (33.00),
// a rate of events (653.2); NaN (nothing measured) and infinities are "-".
func Fixed(f float64, n int) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "-"
	}
	return strconv.FormatFloat(f, 'f', n, 64)
}

// PerSecond formats an event rate: 653.2/s.
func PerSecond(f float64) string { return Fixed(f, 1) + "/s" }

// Duration formats a measured duration precisely enough to see a 15 s
// interval drift by 10 ms: 0.50ms, 850ms, 15.02s, 150s; 0 is "0".
func Duration(d time.Duration) string {
	switch {
	case d == 0:
		return "0"
	case d < 0:
		return "-" + Duration(-d)
	case d >= 100*time.Second:
		return fmt.Sprintf("%.0fs", d.Seconds())
	case d >= time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	case d >= 10*time.Millisecond:
		return fmt.Sprintf("%.0fms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
}

// Millis is Duration of a figure given in milliseconds, as the report
// keeps them.
func Millis(ms float64) string {
	if math.IsNaN(ms) || math.IsInf(ms, 0) {
		return "-"
	}
	return Duration(time.Duration(ms * float64(time.Millisecond)))
}

// Clock formats elapsed or remaining time to the second: 42s, 3m05s,
// 1h02m03s.
func Clock(d time.Duration) string {
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

// Interval formats a configured interval without noise: 15s, 500ms,
// 1m30s; 0 or less is "-".
func Interval(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return d.String()
}

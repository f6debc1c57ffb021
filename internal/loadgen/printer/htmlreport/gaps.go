package htmlreport

import (
	"math"

	"galaxy/galaxyctl/internal/loadgen/report"
	"galaxy/galaxyctl/internal/units"
)

// Gap bar colours: early, on time, a little late, late (over 1.5
// intervals, as the report counts late).
const (
	gapEarly  = "#4e79a7"
	gapOnTime = "#59a14f"
	gapSlow   = "#edc948"
	gapLate   = "#e15759"
)

// gapChart draws the gap histogram's bars, each labelled by its range
// and, when the interval is known, as multiples of it, with the bar
// holding the interval marked.
func gapChart(h *report.HeartbeatsReport) (chart, bool) {
	bs := h.GapBuckets
	if len(bs) == 0 {
		return chart{}, false
	}
	const w, ht, left, bottom = 960.0, 270.0, 60.0, 58.0
	c := chart{ID: "chart-gaps", Title: "Heartbeat gaps against the interval", W: w, H: ht}
	var top uint64
	for _, b := range bs {
		top = max(top, b.Count)
	}
	ticks := niceTicks(float64(top), 4)
	y := linear{0, ticks[len(ticks)-1], ht - bottom, 14}
	for _, t := range ticks {
		c.line(left, y.at(t), w-10, y.at(t), "grid")
		c.text(left-8, y.at(t)+4, "end", "tick", units.Whole(t))
	}
	slot := (w - 10 - left) / float64(len(bs))
	barW := math.Min(slot*0.7, 90)
	interval := h.IntervalMS
	lower := 0.0
	for i, b := range bs {
		cx := left + slot*(float64(i)+0.5)
		upper := b.UpperMS
		rangeText := "≤ " + units.Millis(upper)
		if upper < 0 { // the overflow bar
			rangeText = "> " + units.Millis(lower)
		}
		color, holdsInterval := gapColor(lower, upper, interval)
		barTop := y.at(float64(b.Count))
		if b.Count > 0 {
			barTop = math.Min(barTop, ht-bottom-2) // a bar of a few stays visible
		}
		c.rect(cx-barW/2, barTop, barW, ht-bottom-barTop, "bar", color, rangeText+": "+units.Count(b.Count)+" gaps")
		c.text(cx, barTop-5, "middle", "value", units.Count(b.Count))
		c.text(cx, ht-bottom+16, "middle", "tick", rangeText)
		if interval > 0 {
			factor := "× " + units.Fixed(upper/interval, 2)
			if upper < 0 {
				factor = "over × " + units.Fixed(lower/interval, 2)
			}
			c.text(cx, ht-bottom+31, "middle", "tick dim", factor)
		}
		if holdsInterval {
			c.text(cx, ht-bottom+47, "middle", "mark", "▲ interval "+units.Millis(interval))
		}
		lower = upper
	}
	c.line(left, ht-bottom, w-10, ht-bottom, "axis")
	return c, true
}

// gapColor colours a bar of gaps in (lower, upper] by how they stand to
// the interval, and says whether the interval falls in it.
func gapColor(lower, upper, interval float64) (string, bool) {
	if interval <= 0 {
		return gapEarly, false
	}
	if upper < 0 {
		upper = math.Inf(1)
	}
	holds := lower < interval && interval <= upper
	switch {
	case holds || (lower >= 0.98*interval && upper <= 1.02*interval):
		return gapOnTime, holds
	case upper <= interval:
		return gapEarly, false
	case upper <= 1.5*interval:
		return gapSlow, false
	}
	return gapLate, false
}

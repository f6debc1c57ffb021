package htmlreport

import (
	"math"

	"galaxy/galaxyctl/internal/loadgen/report"
	"galaxy/galaxyctl/internal/units"
)

// seriesLine is one line of a timeseries chart.
type seriesLine struct {
	name  string
	color string
	get   func(*report.SeriesPoint) float64
}

// seriesSpec is one chart of the run over time.
type seriesSpec struct {
	id, title string
	format    func(float64) string
	lines     []seriesLine
	// binary puts the ticks on round numbers of KiB, MiB or GiB.
	binary bool
}

func fig(f report.Figure) float64 { return float64(f) }

var seriesSpecs = []seriesSpec{
	{"chart-heartbeats", "Heartbeats per second", func(v float64) string { return units.Fixed(v, 0) + "/s" }, []seriesLine{
		{"heartbeats/s", "#4e79a7", func(p *report.SeriesPoint) float64 { return fig(p.HeartbeatsPerS) }},
	}, false},
	{"chart-traffic", "Bytes per second on the client sockets", func(v float64) string { return units.Rate(v) }, []seriesLine{
		{"in (server to client)", "#4e79a7", func(p *report.SeriesPoint) float64 { return fig(p.BytesInPerS) }},
		{"out (client to server)", "#e15759", func(p *report.SeriesPoint) float64 { return fig(p.BytesOutPerS) }},
	}, false},
	{"chart-clients", "Connected clients", func(v float64) string { return units.Whole(v) }, []seriesLine{
		{"streams open", "#59a14f", func(p *report.SeriesPoint) float64 { return float64(p.ClientsActive) }},
		{"failed", "#e15759", func(p *report.SeriesPoint) float64 { return float64(p.ClientsFailed) }},
	}, false},
	{"chart-memory", "Memory (RSS)", func(v float64) string { return units.IEC(v) }, []seriesLine{
		{"bench", "#b07aa1", func(p *report.SeriesPoint) float64 { return fig(p.ClientRSSBytes) }},
		{"server", "#f28e2b", func(p *report.SeriesPoint) float64 { return fig(p.ServerRSSBytes) }},
	}, true},
}

// phaseFill shades the phases behind the lines.
var phaseFill = map[report.Phase]string{
	report.PhaseRamp:    "#f1ece4",
	report.PhaseWarmup:  "#f6f3ee",
	report.PhaseMeasure: "#e8f1e6",
}

// legendItem is one line's name and colour, shown above a chart.
type legendItem struct{ Name, Color string }

// seriesChart is a timeseries chart with its legend.
type seriesChart struct {
	Chart  chart
	Legend []legendItem
}

// seriesCharts draws the run over time: heartbeats, traffic, clients and
// memory, each on the same time axis with the phases shaded.
func seriesCharts(ts *report.Timeseries) []seriesChart {
	pts := ts.Points
	if len(pts) < 2 {
		return nil
	}
	out := make([]seriesChart, 0, len(seriesSpecs))
	for _, spec := range seriesSpecs {
		out = append(out, drawSeries(spec, pts))
	}
	return out
}

func drawSeries(spec seriesSpec, pts []report.SeriesPoint) seriesChart {
	const w, h, left, right, top, bottom = 470.0, 220.0, 72.0, 12.0, 22.0, 30.0
	c := chart{ID: spec.id, Title: spec.title, W: w, H: h}
	t1 := pts[len(pts)-1].TMS / 1000
	x := linear{0, t1, left, w - right}
	hi := 0.0
	var legend []legendItem
	for _, l := range spec.lines {
		seen := false
		for i := range pts {
			if v := l.get(&pts[i]); !math.IsNaN(v) {
				hi, seen = math.Max(hi, v), true
			}
		}
		if seen {
			legend = append(legend, legendItem{l.name, l.color})
		}
	}
	ticks := valueTicks(hi, spec.binary)
	y := linear{0, ticks[len(ticks)-1], h - bottom, top}
	shadePhases(&c, pts, x, top, h-bottom)
	for _, t := range ticks {
		c.line(left, y.at(t), w-right, y.at(t), "grid")
		c.text(left-6, y.at(t)+4, "end", "tick", spec.format(t))
	}
	for _, t := range niceTicks(t1, 5) {
		if t > t1 {
			break
		}
		c.text(x.at(t), h-bottom+16, "middle", "tick", units.Fixed(t, decimals(t))+" s")
	}
	c.line(left, h-bottom, w-right, h-bottom, "axis")
	for _, l := range spec.lines {
		xs, ys := make([]float64, len(pts)), make([]float64, len(pts))
		for i := range pts {
			xs[i] = x.at(pts[i].TMS / 1000)
			ys[i] = math.NaN()
			if v := l.get(&pts[i]); !math.IsNaN(v) {
				ys[i] = y.at(v)
			}
		}
		if d := polyline(xs, ys); d != "" {
			c.Paths = append(c.Paths, path{D: d, Class: "series", Stroke: l.color})
		}
	}
	return seriesChart{Chart: c, Legend: legend}
}

// shadePhases shades each phase's stretch of time and names it at the
// top.
func shadePhases(c *chart, pts []report.SeriesPoint, x linear, top, bottom float64) {
	start := 0
	for i := 1; i <= len(pts); i++ {
		if i < len(pts) && pts[i].Phase == pts[start].Phase {
			continue
		}
		ph := pts[start].Phase
		end := pts[min(i, len(pts)-1)].TMS / 1000
		x0, x1 := x.at(pts[start].TMS/1000), x.at(end)
		if fill, ok := phaseFill[ph]; ok && x1 > x0 {
			c.Back = append(c.Back, rect{px(x0), px(top), px(x1 - x0), px(bottom - top), "phase", fill, phaseName(ph)})
			// Uppercase 10 px letters take about 7 px each.
			if label := phaseName(ph); x1-x0 > float64(len(label))*7+4 {
				c.text((x0+x1)/2, top-6, "middle", "phase-label", label)
			}
		}
		start = i
	}
}

func phaseName(p report.Phase) string {
	if p == report.PhaseWarmup {
		return "warm-up"
	}
	return string(p)
}

// valueTicks are about four round ticks from 0 to at least hi; binary
// ones fall on whole KiB, MiB or GiB, so memory reads 256 MiB, not
// 268.44 MB.
func valueTicks(hi float64, binary bool) []float64 {
	if !(hi > 0) {
		return []float64{0, 1}
	}
	scale := 1.0
	if binary {
		for _, u := range []float64{1 << 30, 1 << 20, 1 << 10} {
			if hi >= u {
				scale = u
				break
			}
		}
	}
	ticks := niceTicks(hi/scale, 4)
	for i := range ticks {
		ticks[i] *= scale
	}
	return ticks
}

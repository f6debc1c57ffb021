package htmlreport

import (
	"math"
	"strings"

	"galaxy/galaxyctl/internal/loadgen/report"
	"galaxy/galaxyctl/internal/units"
)

// projectionRow is one fleet size of the projection table.
type projectionRow struct {
	Clients                    string
	BytesPerDay, MbitPerS      string
	ModelPerDay, ModelMbitPerS string
}

const (
	measuredColor = "#4e79a7"
	modelColor    = "#bab0ac"
)

// projectionChart draws each fleet size's bytes per day, measured and by
// the model's heartbeat alone, on a log scale: the sizes are decades
// apart.
func projectionChart(p *report.ProjectionReport) (chart, []projectionRow, bool) {
	var rows []projectionRow
	lo, hi := math.Inf(1), 0.0
	for _, s := range p.Scales {
		model := p.ModelBytesPerClientDay * float64(s.Clients)
		rows = append(rows, projectionRow{
			Clients: units.Count(s.Clients), BytesPerDay: units.PerDay(float64(s.BytesPerDay)),
			MbitPerS: units.Mbit(float64(s.MbitPerS)), ModelPerDay: units.PerDay(model),
			ModelMbitPerS: units.Mbit(model * 8 / 86400 / 1e6),
		})
		for _, v := range []float64{float64(s.BytesPerDay), model} {
			if v > 0 {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	if hi == 0 {
		return chart{}, rows, false
	}
	const w, left, right, barH, gap = 960.0, 130.0, 200.0, 16.0, 18.0
	ht := float64(len(p.Scales))*(2*barH+gap) + 40
	c := chart{ID: "chart-projection", Title: "Traffic per day at fleet scale, measured and the model's heartbeat alone", W: w, H: px(ht)}
	d0, d1 := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	if d1 == d0 {
		d1++
	}
	x := linear{d0, d1, left, w - right}
	axisY := ht - 26
	for d := d0; d <= d1; d++ {
		c.line(x.at(d), 4, x.at(d), axisY, "grid")
		c.text(x.at(d), axisY+16, "middle", "tick", strings.Replace(units.Bytes(math.Pow(10, d)), ".00", "", 1)+"/day")
	}
	for i, s := range p.Scales {
		y := 6 + float64(i)*(2*barH+gap)
		c.text(left-10, y+barH+4, "end", "label", units.Count(s.Clients)+" clients")
		model := p.ModelBytesPerClientDay * float64(s.Clients)
		for j, b := range []struct {
			v     float64
			color string
			what  string
		}{{float64(s.BytesPerDay), measuredColor, "measured"}, {model, modelColor, "model"}} {
			yy := y + float64(j)*barH
			if !(b.v > 0) {
				c.text(left+4, yy+barH-4, "start", "note", b.what+": not measured")
				continue
			}
			x1 := x.at(math.Log10(b.v))
			c.rect(left, yy, x1-left, barH-2, "bar", b.color, units.Count(s.Clients)+" clients, "+b.what+": "+units.PerDay(b.v))
			label := units.PerDay(b.v) + " · " + units.Mbit(b.v*8/86400/1e6)
			if j == 1 {
				label += "  (model)"
			}
			c.text(x1+6, yy+barH-4, "start", "value", label)
		}
	}
	return c, rows, true
}

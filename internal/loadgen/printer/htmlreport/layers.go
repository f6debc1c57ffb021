package htmlreport

import (
	"math"

	"galaxy/galaxyctl/internal/loadgen/report"
	"galaxy/galaxyctl/internal/units"
)

// layerStyle names and colours each layer of a heartbeat's bytes.
var layerStyle = map[string]struct{ Name, Color, Help string }{
	report.StackProtobuf:       {"protobuf message", "#4e79a7", "the heartbeat's GatewayEvent"},
	report.StackEnvelope:       {"gRPC / Connect prefix", "#76b7b2", "the 5-byte message prefix"},
	report.StackHTTPFraming:    {"HTTP/2 framing", "#59a14f", "the DATA frame header (and any padding)"},
	report.StackHTTPOther:      {"other HTTP/2 frames", "#edc948", "the server's PING acks, PINGs, SETTINGS, HEADERS"},
	report.StackClientRequests: {"client requests", "#b07aa1", "the client's HEADERS and DATA"},
	report.StackClientReplies:  {"client replies", "#e15759", "WINDOW_UPDATE, PING and PING acks the client sends back"},
	report.StackTLS:            {"TLS records", "#f28e2b", "record header, content type and AEAD tag"},
	report.StackUnattributed:   {"unattributed", "#555555", "socket bytes no decoder accounted for"},
	report.StackTCPIPHeaders:   {"TCP/IP headers", "#9c755f", "IPv4 + TCP + timestamp option of data segments"},
	report.StackPureACKs:       {"pure ACKs", "#bab0ac", "TCP/IP headers of segments that carry only an ACK"},
}

// legendRow is one layer in the table beside the bars.
type legendRow struct {
	Name, Color, Help string
	In, Model, Out    string
}

const (
	stackW      = 960
	stackLeft   = 130 // labels
	stackRight  = 110 // totals
	stackBarH   = 30
	stackRowGap = 14
)

// stackChart draws a stacked bar per direction, measured beside the
// model, and returns the legend's rows.
func stackChart(r *report.Report) (chart, []legendRow) {
	stacks := report.Stacks(r)
	type bar struct {
		label  string
		layers []report.StackLayer
		note   string
	}
	var bars []bar
	for _, s := range stacks {
		bars = append(bars, bar{label: s.Direction + " · measured", layers: s.Measured})
		if s.Model != nil {
			bars = append(bars, bar{label: s.Direction + " · model", layers: s.Model})
		} else {
			bars = append(bars, bar{label: s.Direction + " · model", note: "not modelled: what the client sends back is measured only"})
		}
	}
	top := 0.0
	for _, b := range bars {
		top = math.Max(top, float64(report.Total(positive(b.layers))))
	}
	if math.IsNaN(top) || top <= 0 {
		top = 1
	}
	ticks := niceTicks(top, 6)
	x := linear{0, ticks[len(ticks)-1], stackLeft, stackW - stackRight}
	h := float64(len(bars))*(stackBarH+stackRowGap) + 34
	c := chart{ID: "chart-layers", Title: "Bytes per heartbeat by layer, measured beside the model", W: stackW, H: px(h)}
	axisY := h - 26
	for _, t := range ticks {
		c.line(x.at(t), 4, x.at(t), axisY, "grid")
		c.text(x.at(t), axisY+16, "middle", "tick", units.Fixed(t, 0)+" B")
	}
	for i, b := range bars {
		y := 6 + float64(i)*(stackBarH+stackRowGap)
		c.text(stackLeft-10, y+stackBarH/2+4, "end", "label", b.label)
		if b.note != "" {
			c.text(stackLeft+4, y+stackBarH/2+4, "start", "note", b.note)
			continue
		}
		total := report.Total(b.layers)
		if !total.OK() {
			c.text(stackLeft+4, y+stackBarH/2+4, "start", "note", "not measured: no heartbeat in a measurement window")
			continue
		}
		pos := 0.0
		for _, l := range b.layers {
			v := float64(l.Bytes)
			if !(v > 0) {
				continue
			}
			st := layerStyle[l.Layer]
			x0, x1 := x.at(pos), x.at(pos+v)
			c.rect(x0, y, x1-x0, stackBarH, "seg", st.Color, st.Name+": "+units.Fixed(v, 2)+" B per heartbeat")
			if x1-x0 >= 26 {
				c.text((x0+x1)/2, y+stackBarH/2+4, "middle", "seg-label", units.Fixed(v, decimals(v)))
			}
			pos += v
		}
		c.text(x.at(pos)+8, y+stackBarH/2+4, "start", "total", units.Fixed(float64(total), 1)+" B")
	}
	return c, legend(stacks)
}

// positive keeps the layers with bytes to draw: a layer a window's edge
// left a hair below zero draws as nothing.
func positive(ls []report.StackLayer) []report.StackLayer {
	out := make([]report.StackLayer, 0, len(ls))
	for _, l := range ls {
		if l.Bytes > 0 || !l.Bytes.OK() {
			out = append(out, l)
		}
	}
	return out
}

// decimals is how many a label inside a bar or on an axis needs: none
// from 10 up (52, not 52.0 for 52.02), one below.
func decimals(v float64) int {
	if v == math.Trunc(v) || v >= 10 {
		return 0
	}
	return 1
}

// legend lists every layer either direction has, in stack order, with
// its bytes in, the model's and its bytes out.
func legend(stacks []report.Stack) []legendRow {
	order := []string{report.StackProtobuf, report.StackEnvelope, report.StackHTTPFraming, report.StackHTTPOther,
		report.StackClientRequests, report.StackClientReplies, report.StackTLS, report.StackUnattributed,
		report.StackTCPIPHeaders, report.StackPureACKs}
	find := func(ls []report.StackLayer, name string) (report.Figure, bool) {
		for _, l := range ls {
			if l.Layer == name {
				return l.Bytes, true
			}
		}
		return report.Missing, false
	}
	var rows []legendRow
	in, out := stacks[0], stacks[1]
	for _, name := range order {
		st := layerStyle[name]
		vi, hasIn := find(in.Measured, name)
		vm, hasModel := find(in.Model, name)
		vo, hasOut := find(out.Measured, name)
		// Layers that carried nothing in this run stay out of the legend.
		if !(vi > 0 || vo > 0 || (hasModel && vm > 0)) && name != report.StackProtobuf {
			continue
		}
		row := legendRow{Name: st.Name, Color: st.Color, Help: st.Help, In: "-", Model: "-", Out: "-"}
		if hasIn {
			row.In = units.Fixed(float64(vi), 2)
		}
		if hasModel {
			row.Model = units.Fixed(float64(vm), 0)
		}
		if hasOut {
			row.Out = units.Fixed(float64(vo), 2)
		}
		rows = append(rows, row)
	}
	return rows
}

package tui

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"galaxy/galaxyctl/internal/loadgen/report"
	"galaxy/galaxyctl/internal/units"
)

// Layer table column widths.
const (
	layerNameW  = 17
	layerMeasW  = 9
	layerModelW = 7
	layerDiffW  = 8
)

func layerWidth(diff bool) int {
	w := layerNameW + layerMeasW + layerModelW
	if diff {
		w += layerDiffW
	}
	return w
}

// layerPicks are the rows of the report's layer table the screen shows,
// in its order, with their names on screen: the heartbeat's layers in,
// then what both directions cost on the wire.
var layerPicks = []struct{ layer, dir, name string }{
	{"protobuf", "in", "protobuf"},
	{"grpc_prefix", "in", "gRPC prefix"},
	{"http2_data_frame_header", "in", "HTTP/2 frame hdr"},
	{"http2_other_frames", "in", "HTTP/2 other in"},
	{"tls_records", "in", "TLS records in"},
	{"tcp_payload", "in", "TCP payload in"},
	{"tcp_ip_headers", "in", "TCP/IP hdrs in"},
	{"ip_total", "in", "IP in"},
	{"ip_total", "out", "IP out"},
	{"ip_total", "both", "IP total"},
	{"segments", "both", "segments"},
}

// shownRow is a row of the report's layer table as the screen names it.
type shownRow struct {
	name string
	row  report.LayerRow
}

// layerRows are the picked rows of r's table; before any report, the rows
// the run will have, with nothing measured.
func (m Model) layerRows(r *report.Report) []shownRow {
	var out []shownRow
	for _, p := range layerPicks {
		if r == nil {
			if p.layer != "tls_records" || m.snap.Config.TLS {
				out = append(out, shownRow{p.name, report.LayerRow{Measured: report.Missing}})
			}
			continue
		}
		if i := slices.IndexFunc(r.Layers, func(l report.LayerRow) bool { return l.Layer == p.layer && l.Direction == p.dir }); i >= 0 {
			out = append(out, shownRow{p.name, r.Layers[i]})
		}
	}
	return out
}

// layers is the per-layer table of the live report: bytes (or segments)
// per heartbeat since the phase began, the model's figure and, when there
// is room, the difference.
func (m Model) layers(diff bool) block {
	st, r := m.st, m.snap.Report
	head := pad("bytes/heartbeat", layerNameW) + padLeft("measured", layerMeasW) + padLeft("model", layerModelW)
	if diff {
		head += padLeft("diff", layerDiffW)
	}
	rows := m.layerRows(r)
	lines := make([]string, 0, len(rows)+3)
	lines = append(lines, st.head(head))
	for _, lr := range rows {
		model, d, p := "-", "", plain
		if lr.row.Model != nil {
			model = strconv.FormatFloat(*lr.row.Model, 'f', -1, 64)
		}
		if lr.row.Diff != nil {
			d = fmt.Sprintf("%+.2f", *lr.row.Diff)
			if math.Abs(*lr.row.Diff) >= 0.5 {
				p = st.warn
			}
		}
		line := st.label(pad(lr.name, layerNameW)) + p(padLeft(units.Fixed(float64(lr.row.Measured), 2), layerMeasW)) + padLeft(model, layerModelW)
		if diff && d != "" {
			line += p(padLeft(d, layerDiffW))
		}
		lines = append(lines, line)
	}
	residual, rp := "-", plain
	if r != nil {
		residual = strconv.FormatInt(r.Bytes.ResidualIn, 10) + "/" + strconv.FormatInt(r.Bytes.ResidualOut, 10)
		if residual != "0/0" {
			rp = st.warn
		}
	}
	lines = append(lines, st.label(pad("residual in/out", layerNameW))+rp(padLeft(residual, layerMeasW))+padLeft("0", layerModelW))
	foot := "no heartbeats yet"
	if r != nil && r.Heartbeats.OnWire > 0 {
		foot = "over " + units.Count(r.Heartbeats.OnWire) + " heartbeats"
	}
	if r != nil && m.snap.ReportPhase != "" {
		foot += " (" + string(m.snap.ReportPhase) + ")"
	}
	lines = append(lines, st.label(foot))
	return newBlock(layerWidth(diff), lines...)
}

const gapHeadLines = 3

// gapHead is the gap statistics of the live report against the interval.
func (m Model) gapHead(w int) []string {
	st := m.st
	var h report.HeartbeatsReport
	if m.snap.Report != nil {
		h = m.snap.Report.Heartbeats
	}
	head := "heartbeat gaps"
	if h.Gaps > 0 {
		head += "  " + units.Count(h.Gaps)
	}
	stat := func(ms float64) string {
		if h.Gaps == 0 {
			return "-"
		}
		return units.Millis(ms)
	}
	iv := units.Interval(msDur(h.IntervalMS))
	if src := strings.ReplaceAll(h.IntervalSource, "_", " "); src != "" {
		iv += " (" + src + ")"
	}
	lateP, missedP := plain, plain
	if h.Gaps > 0 {
		lateP, missedP = st.good, st.good
		if h.Late > 0 {
			lateP = st.warn
		}
		if h.Missed > 0 {
			missedP = st.bad
		}
	}
	lines := []string{fit(st.head(head), w)}
	lines = append(lines, flow(st, "", 0, w, []item{
		{"p50", stat(h.GapP50MS), nil},
		{"p99", stat(h.GapP99MS), nil},
		{"max", stat(h.GapMaxMS), nil},
	})[0])
	lines = append(lines, flow(st, "", 0, w, []item{
		{"interval", iv, nil},
		{"late", units.Count(h.Late), lateP},
		{"missed", units.Count(h.Missed), missedP},
	})...)
	return lines[:gapHeadLines]
}

// gapBuckets are the live report's histogram bars.
func (m Model) gapBuckets() []report.GapBucketReport {
	if m.snap.Report == nil {
		return nil
	}
	return m.snap.Report.Heartbeats.GapBuckets
}

// gapBars draws k of the histogram's bars in w cells: all of them when
// they fit, else the k fullest, in order.
func (m Model) gapBars(w, k int) []string {
	bs := m.gapBuckets()
	if k <= 0 || len(bs) == 0 {
		return nil
	}
	labels := bucketLabels(bs)
	idx := fullest(bs, min(k, len(bs)))
	labelW, countW := 0, 0
	var top uint64
	for _, i := range idx {
		labelW = max(labelW, ansiWidth(labels[i]))
		countW = max(countW, len(units.Count(bs[i].Count)))
		top = max(top, bs[i].Count)
	}
	barW := max(w-labelW-countW-2, 4)
	lines := make([]string, 0, len(idx))
	for _, i := range idx {
		n := 0
		if top > 0 && bs[i].Count > 0 {
			n = max(int(math.Round(float64(bs[i].Count)/float64(top)*float64(barW))), 1)
		}
		lines = append(lines, m.st.label(pad(labels[i], labelW))+" "+
			m.st.good(strings.Repeat("█", n))+strings.Repeat(" ", barW-n)+" "+padLeft(units.Count(bs[i].Count), countW))
	}
	return lines
}

// fullest returns the indexes of the k buckets with the most gaps, in
// order.
func fullest(bs []report.GapBucketReport, k int) []int {
	idx := make([]int, len(bs))
	for i := range idx {
		idx[i] = i
	}
	if k >= len(bs) {
		return idx
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(bs[b].Count, bs[a].Count) })
	idx = idx[:k]
	slices.Sort(idx)
	return idx
}

// memory is bench's memory and the server's, with what each holds per
// stream, from the live report: readings now against those before the
// ramp (the final report's are after the warm-up).
func (m Model) memory(w int) []string {
	r := m.snap.Report
	if r == nil {
		return []string{m.st.head(pad("bench", 8)) + "-", m.st.head(pad("server", 8)) + "-"}
	}
	mem := r.Memory
	lines := flow(m.st, "bench", 8, w, []item{
		{"per stream", units.IEC(mem.ClientBytesPerStream), nil},
		{"RSS", units.IEC(float64(mem.ClientRSSAfter)), nil},
		{"goroutines", units.Count(mem.ClientGoroutinesAfter), nil},
	})
	server := []item{{"", "no metrics URL", nil}}
	switch {
	case mem.ServerAvailable:
		server = []item{
			{"per stream", units.IEC(mem.ServerBytesPerStream), nil},
			{"RSS", units.IEC(mem.ServerRSSAfter), nil},
		}
	case mem.ServerError != "":
		server = []item{{"", "not scraped", m.st.warn}}
	case r.Config.ServerMetricsURL != "":
		server = []item{{"", "-", nil}}
	}
	return append(lines, flow(m.st, "server", 8, w, server)...)
}

// projection is the live report's projection: IP bytes per heartbeat,
// per client per day, and each fleet size per day and in Mbit/s.
func (m Model) projection() []string {
	st, c := m.st, m.snap.Config
	p := report.ProjectionReport{IntervalMS: c.ProjectIntervalMS, IPBytesPerHeartbeat: report.Missing, BytesPerClientDay: report.Missing}
	for _, n := range c.Scales {
		p.Scales = append(p.Scales, report.ScaleRow{Clients: n, BytesPerDay: report.Missing, MbitPerS: report.Missing})
	}
	if m.snap.Report != nil {
		p = m.snap.Report.Projection
	}
	head := "projection @" + units.Interval(msDur(p.IntervalMS))
	if p.IPBytesPerHeartbeat.OK() {
		head += "  " + units.Fixed(float64(p.IPBytesPerHeartbeat), 2) + " IP B/hb"
	}
	clientsW := len("per client")
	for _, s := range p.Scales {
		clientsW = max(clientsW, len(units.Count(s.Clients)))
	}
	lines := make([]string, 0, len(p.Scales)+2)
	lines = append(lines, st.head(head))
	day := func(f report.Figure) string {
		if !f.OK() {
			return "-"
		}
		return units.PerDay(float64(f))
	}
	mbit := func(f report.Figure) string {
		if !f.OK() {
			return "-"
		}
		return units.Mbit(float64(f))
	}
	lines = append(lines, st.label(padLeft("per client", clientsW))+"  "+padLeft(day(p.BytesPerClientDay), 13))
	for _, s := range p.Scales {
		lines = append(lines, st.label(padLeft(units.Count(s.Clients), clientsW))+"  "+padLeft(day(s.BytesPerDay), 13)+"  "+padLeft(mbit(s.MbitPerS), 14))
	}
	return lines
}

func msDur(ms float64) time.Duration { return time.Duration(ms * float64(time.Millisecond)) }

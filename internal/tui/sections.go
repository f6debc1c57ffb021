package tui

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"galaxy/galaxyctl/internal/loadgen"
	"galaxy/galaxyctl/internal/loadgen/report"
	"galaxy/galaxyctl/internal/units"
)

const labelW = 9 // "clients  ", "traffic  ", "errors   "

// header is the title line: what is measured on the left, where the run
// is on the right. The left side sheds detail before it is cut.
func (m Model) header(w int) string {
	st, o, c := m.st, m.opts, m.snap.Config
	transport := "h2c"
	if c.TLS {
		transport = "TLS"
	}
	join := func(parts ...string) string {
		var out []string
		for _, p := range parts {
			if p != "" {
				out = append(out, p)
			}
		}
		return strings.Join(out, " · ")
	}
	window := ""
	if c.ClientWindow != "" {
		window = "window " + c.ClientWindow
	}
	right := m.phaseStatus() + " · " + units.Clock(m.snap.Elapsed)
	room := max(w-ansiWidth(right)-1, 1)
	left := ""
	for _, c := range []string{
		join(o.Title, o.Target, transport, window),
		join(o.Title, o.Target, transport),
		join(o.Target, transport),
	} {
		left = c
		if ansiWidth(c) <= room {
			break
		}
	}
	left = fit(left, room)
	gap := max(w-ansiWidth(left)-ansiWidth(right), 1)
	return st.title(left) + strings.Repeat(" ", gap) + st.head(right)
}

// phaseStatus is the phase and the time left in it; the ramp has no
// planned length, so its time left is estimated from the rate so far.
func (m Model) phaseStatus() string {
	s := m.snap
	switch {
	case !m.have:
		return "starting"
	case s.Phase == loadgen.PhaseDone:
		return "done"
	case s.Phase == loadgen.PhaseRamp:
		left := s.Target - s.Connected - s.Failed
		if s.RampRate > 0 && left > 0 {
			return "ramp ~" + units.Clock(secondsDur(float64(left)/s.RampRate)) + " left"
		}
		return "ramp"
	case s.PhaseLength > 0:
		return string(s.Phase) + " " + units.Clock(s.PhaseLength-s.PhaseElapsed) + " left"
	}
	return string(s.Phase)
}

// ramp is the progress bar of connected clients against the target.
func (m Model) ramp(w int) string {
	s := m.snap
	frac := 0.0
	if s.Target > 0 {
		frac = math.Min(float64(s.Connected)/float64(s.Target), 1)
	}
	right := " " + units.Count(max(s.Connected, 0)) + "/" + units.Count(max(s.Target, 0))
	if m.rampRate > 0 {
		right += "  " + units.PerSecond(m.rampRate)
	}
	barW := max(w-labelW-ansiWidth(right), 10)
	return m.st.head(pad("ramp", labelW)) + m.st.progressBar(barW, frac) + right
}

// clients are the counters of the simulated clients.
func (m Model) clients(w int) []string {
	s, st := m.snap, m.st
	return flow(st, "clients", labelW, w, []item{
		{"connected", units.Count(s.Connected), nil},
		{"active", units.Count(s.Active), st.good},
		{"ended", units.Count(s.Ended), when(s.Ended > 0, st.warn)},
		{"failed", units.Count(s.Failed), when(s.Failed > 0, st.bad)},
		{"connect failures", units.Count(s.ConnectFailures), when(s.ConnectFailures > 0, st.warn)},
		{"sockets", units.Count(s.Connections), nil},
	})
}

// traffic is the heartbeat and byte rates since the previous snapshot.
func (m Model) traffic(w int) []string {
	s := m.snap
	return flow(m.st, "traffic", labelW, w, []item{
		{"heartbeats", units.Count(s.Heartbeats), nil},
		{"", units.PerSecond(s.HeartbeatsPerSec), nil},
		{"in", units.Rate(s.BytesInPerSec), nil},
		{"out", units.Rate(s.BytesOutPerSec), nil},
	})
}

// when is p if cond holds, else no style: a count is only alarming when
// it is not zero.
func when(cond bool, p paint) paint {
	if cond {
		return p
	}
	return plain
}

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

type layerRow struct {
	name     string
	measured float64
	model    float64
	hasModel bool
	text     string // instead of measured, for the residual's two counts
}

// layerRows are the measured layers of DESIGN.md's wire-cost table, in its
// order, beside the model where it has a figure.
func (m Model) layerRows() []layerRow {
	l := m.snap.PerHeartbeat
	with := func(name string, v, model float64) layerRow {
		return layerRow{name: name, measured: v, model: model, hasModel: true}
	}
	without := func(name string, v float64) layerRow { return layerRow{name: name, measured: v} }
	model := m.snap.Model
	rows := []layerRow{
		with("protobuf", l.Protobuf, model.Message),
		with("gRPC prefix", l.GRPCPrefix, model.Envelope),
		with("HTTP/2 frame hdr", l.HTTP2FrameHeader, model.Framing),
		with("HTTP/2 in", l.HTTP2In, model.HTTP()),
		without("HTTP/2 out", l.HTTP2Out),
		without("client replies", l.ClientReplies),
		with("server pings", l.ServerPings, 0),
	}
	if m.snap.Config.TLS {
		rows = append(rows, with("TLS in", l.TLSIn, model.TLSRecord), without("TLS out", l.TLSOut))
	}
	rows = append(rows,
		with("socket in", l.SocketIn, model.Socket()),
		without("socket out", l.SocketOut),
		layerRow{name: "residual in/out", hasModel: true,
			text: strconv.FormatInt(l.ResidualIn, 10) + "/" + strconv.FormatInt(l.ResidualOut, 10)},
	)
	return rows
}

// layers is the per-layer table: bytes per heartbeat since the phase
// began, the model's figure and, when there is room, the difference.
func (m Model) layers(diff bool) block {
	st, l := m.st, m.snap.PerHeartbeat
	measured := l.Heartbeats > 0
	head := pad("bytes/heartbeat", layerNameW) + padLeft("measured", layerMeasW) + padLeft("model", layerModelW)
	if diff {
		head += padLeft("diff", layerDiffW)
	}
	rows := m.layerRows()
	lines := make([]string, 0, len(rows)+2)
	lines = append(lines, st.head(head))
	for _, r := range rows {
		model, d := "-", ""
		if r.hasModel {
			model = strconv.FormatFloat(r.model, 'f', -1, 64)
		}
		val, p := "-", plain
		switch {
		case r.text != "":
			val = r.text
			if r.text != "0/0" {
				p = st.warn
			}
		case measured:
			val = units.Fixed(r.measured, 2)
			if r.hasModel {
				delta := r.measured - r.model
				d = fmt.Sprintf("%+.2f", delta)
				if math.Abs(delta) >= 0.5 {
					p = st.warn
				}
			}
		}
		line := st.label(pad(r.name, layerNameW)) + p(padLeft(val, layerMeasW)) + padLeft(model, layerModelW)
		if diff && d != "" {
			line += p(padLeft(d, layerDiffW))
		}
		lines = append(lines, line)
	}
	foot := "no heartbeats yet"
	if measured {
		foot = "over " + units.Count(l.Heartbeats) + " heartbeats"
		if m.snap.Phase != "" {
			foot += " (" + string(m.snap.Phase) + ")"
		}
	}
	lines = append(lines, st.label(foot))
	return newBlock(layerWidth(diff), lines...)
}

const gapHeadLines = 3

// gapHead is the gap statistics against the interval.
func (m Model) gapHead(w int) []string {
	st, g := m.st, m.snap.Gaps
	head := "heartbeat gaps"
	if g.Count > 0 {
		head += "  " + units.Count(g.Count)
	}
	stat := func(v string) string {
		if g.Count == 0 {
			return "-"
		}
		return v
	}
	src := strings.ReplaceAll(g.IntervalSource, "_", " ")
	iv := units.Interval(g.Interval)
	if src != "" {
		iv += " (" + src + ")"
	}
	lateP, missedP := plain, plain
	if g.Count > 0 {
		lateP, missedP = st.good, st.good
		if g.Late > 0 {
			lateP = st.warn
		}
		if g.Missed > 0 {
			missedP = st.bad
		}
	}
	lines := []string{fit(st.head(head), w)}
	lines = append(lines, flow(st, "", 0, w, []item{
		{"p50", stat(units.Duration(g.P50)), nil},
		{"p99", stat(units.Duration(g.P99)), nil},
		{"max", stat(units.Duration(g.Max)), nil},
	})[0])
	lines = append(lines, flow(st, "", 0, w, []item{
		{"interval", iv, nil},
		{"late", units.Count(g.Late), lateP},
		{"missed", units.Count(g.Missed), missedP},
	})...)
	return lines[:gapHeadLines]
}

// gapBars draws k of the histogram's bars in w cells: all of them when
// they fit, else the k fullest, in order.
func (m Model) gapBars(w, k int) []string {
	bs := m.snap.Gaps.Buckets
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
func fullest(bs []report.GapBucket, k int) []int {
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

// memory is bench's own memory; bytes per stream are against the reading
// before the ramp.
func (m Model) memory(w int) []string {
	mem := m.snap.Memory
	return flow(m.st, "memory", 8, w, []item{
		{"RSS", units.IEC(float64(mem.RSS)), nil},
		{"heap", units.IEC(float64(mem.Heap)), nil},
		{"goroutines", units.Count(mem.Goroutines), nil},
		{"per stream", units.IEC(mem.BytesPerStream), nil},
	})
}

// projection is the engine's live projection: per client per day, and
// each fleet size per day and in Mbit/s.
func (m Model) projection() []string {
	st, p := m.st, m.snap.Projection
	measured := m.snap.PerHeartbeat.Heartbeats > 0
	head := "projection @" + units.Interval(time.Duration(p.IntervalMS*float64(time.Millisecond)))
	if measured {
		head += "  " + units.Fixed(float64(p.IPBytesPerHeartbeat), 2) + " B/hb (est.)"
	}
	scales := m.snap.Config.Scales
	clientsW := len("per client")
	for _, n := range scales {
		clientsW = max(clientsW, len(units.Count(n)))
	}
	lines := make([]string, 0, len(scales)+2)
	lines = append(lines, st.head(head))
	perClient := "-"
	if measured {
		perClient = units.Whole(float64(p.BytesPerClientDay)) + " B/day"
	}
	lines = append(lines, st.label(padLeft("per client", clientsW))+"  "+perClient)
	for i, n := range scales {
		day, mbit := "-", "-"
		if measured && i < len(p.Scales) {
			day = units.PerDay(float64(p.Scales[i].BytesPerDay))
			mbit = units.Mbit(float64(p.Scales[i].MbitPerS))
		}
		lines = append(lines, st.label(padLeft(units.Count(n), clientsW))+"  "+padLeft(day, 13)+"  "+padLeft(mbit, 14))
	}
	return lines
}

// errorLines are connect and stream errors by gRPC code, the most
// frequent first.
func (m Model) errorLines(w int) []string {
	st := m.st
	var items []item
	add := func(kind string, errs map[string]uint64) {
		codes := slices.Collect(maps.Keys(errs))
		slices.SortFunc(codes, func(a, b string) int {
			return cmp.Or(cmp.Compare(errs[b], errs[a]), cmp.Compare(a, b))
		})
		for _, c := range codes {
			items = append(items, item{kind + " " + c, units.Count(errs[c]), st.bad})
		}
	}
	add("connect", m.snap.ConnectErrors)
	add("stream", m.snap.StreamErrors)
	if len(items) == 0 {
		items = []item{{"", "none", st.good}}
	}
	return flow(st, "errors", labelW, w, items)
}

// footer says what q does, or that the run is stopping.
func (m Model) footer() string {
	st := m.st
	switch {
	case m.aborted:
		return st.warn("quitting without waiting for the run to stop")
	case m.done && m.err != nil:
		return st.warn("stopped: " + m.err.Error())
	case m.done:
		return st.label("run over (final report follows)")
	case m.stopping:
		return st.warn("stopping… (final report follows)") + st.label("  ctrl+c again: quit now")
	}
	return st.label("q stop the run")
}

package printer

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"galaxy/galaxyctl/internal/loadgen/report"
	"galaxy/galaxyctl/internal/units"
)

// Width is the text report's width in columns: tables are laid out and
// prose is wrapped to fit it.
const Width = 100

// errWriter keeps the first write error so the printing code reads as a
// sequence of lines.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}

// para writes text wrapped to Width, its first line after first and the
// others after indent.
func (e *errWriter) para(first, indent, text string) {
	for _, l := range wrap(text, Width-len(first), Width-len(indent)) {
		e.printf("%s%s\n", first, l)
		first = indent
	}
}

// table writes rows aligned in columns; the first row is the header.
func (e *errWriter) table(rows [][]string) {
	if e.err != nil {
		return
	}
	tw := tabwriter.NewWriter(e.w, 0, 0, 2, ' ', 0)
	for _, row := range rows {
		if _, err := fmt.Fprintf(tw, "  %s\n", strings.Join(row, "\t")); err != nil {
			e.err = err
			return
		}
	}
	e.err = tw.Flush()
}

// WriteText writes r for a terminal: aligned tables and wrapped notes
// within Width columns, with the settings the notes suggest named by name
// (in Config's words when nil). A run without a measurement window says
// so instead of printing tables of nothing.
func WriteText(w io.Writer, r *report.Report, name report.Namer) error {
	e := &errWriter{w: w}
	writeHeader(e, r)
	writeClients(e, r)
	if r.Durations.MeasureMS > 0 {
		writeHeartbeats(e, r)
		writeLayers(e, r)
		writeFrames(e, r)
		writeTCP(e, r)
	} else {
		e.printf("\n")
		e.para("", "", "no measurement window: the run was interrupted before it, so there are no "+
			"per-heartbeat figures and no projection.")
	}
	writeMemory(e, r)
	writeErrors(e, r)
	if r.Durations.MeasureMS > 0 {
		writeProjection(e, r)
	}
	if len(r.Notes) > 0 {
		e.printf("\nnotes\n")
		for _, n := range report.Texts(r.Notes, name) {
			e.para("  - ", "    ", n)
		}
	}
	return e.err
}

func writeHeader(e *errWriter, r *report.Report) {
	c := r.Config
	transport := "h2c"
	if c.HTTP == "1.1" {
		transport = "plaintext"
	}
	if c.TLS {
		transport = "TLS"
	}
	window := c.ClientWindow
	if c.StaticWindow > 0 {
		window = fmt.Sprintf("%s %d", window, c.StaticWindow)
	}
	streams := "1 stream"
	if c.StreamsPerConn != 1 {
		streams = units.Count(c.StreamsPerConn) + " streams"
	}
	kind := ""
	if c.Protocol != "" {
		kind = fmt.Sprintf("; %s %s over HTTP/%s, profile %s, engine %s", c.Protocol, c.Codec, c.HTTP, c.Profile, c.Engine)
	}
	e.para("", "  ", fmt.Sprintf("bench: %s clients against %s (%s, client window %s, %s per connection%s)",
		units.Count(c.Clients), c.Addr, transport, window, streams, kind))
	d := r.Durations
	line := fmt.Sprintf("ramp %s (%s clients/s), warm-up %s, measured %s", units.Millis(d.RampMS),
		units.Fixed(r.Clients.RampRateAchieved, 1), units.Millis(d.WarmupMS), units.Millis(d.MeasureMS))
	if r.Interrupted {
		line += " (interrupted)"
	}
	e.para("", "  ", line)
}

func writeClients(e *errWriter, r *report.Report) {
	cl := r.Clients
	e.printf("\nclients\n")
	e.table([][]string{
		{"requested", "connected", "failed", "connect failures", "streams ended", "connections"},
		{units.Count(cl.Requested), units.Count(cl.Connected), units.Count(cl.Failed),
			units.Count(cl.ConnectFailures), units.Count(cl.StreamsEnded), units.Count(cl.ConnectionsOpened)},
	})
}

func writeHeartbeats(e *errWriter, r *report.Report) {
	h := r.Heartbeats
	e.printf("\nheartbeats (interval %s, %s)\n", units.Millis(h.IntervalMS), orDash(h.IntervalSource))
	e.table([][]string{
		{"received", "on wire", "per s", "late", "missed", "overdue at end", "silent streams"},
		{units.Count(h.Received), units.Count(h.OnWire), fig(h.PerSecond, 1), units.Count(h.Late),
			units.Count(h.Missed), units.Count(h.OverdueAtEnd), units.Count(h.SilentStreams)},
	})
	e.printf("  gaps %s: p50 %s, p99 %s, max %s, mean %s\n", units.Count(h.Gaps),
		units.Millis(h.GapP50MS), units.Millis(h.GapP99MS), units.Millis(h.GapMaxMS), units.Millis(h.GapMeanMS))
}

func writeLayers(e *errWriter, r *report.Report) {
	e.printf("\nwire cost per heartbeat (in: server to client, out: client to server)\n")
	rows := [][]string{{"layer", "dir", "unit", "measured", "model", "diff"}}
	for _, l := range r.Layers {
		model, diff := "-", "-"
		if l.Model != nil {
			model = units.Fixed(*l.Model, 2)
		}
		if l.Diff != nil {
			diff = fmt.Sprintf("%+.2f", *l.Diff)
		}
		rows = append(rows, []string{l.Layer, l.Direction, l.Unit, fig(l.Measured, 2), model, diff})
	}
	e.table(rows)
	b := r.Bytes
	e.printf("  residual (bytes not attributed to a frame): in %d, out %d", b.ResidualIn, b.ResidualOut)
	if r.Config.TLS {
		e.printf("; TLS records: in %d, out %d", b.TLSResidualIn, b.TLSResidualOut)
	}
	e.printf("\n")
}

func writeFrames(e *errWriter, r *report.Report) {
	if h := r.HTTP1; h != nil {
		e.printf("\nHTTP/1.1 in the window\n")
		rows := [][]string{{"dir", "heads", "head bytes", "chunks", "chunk framing", "body bytes", "chunks/hb", "framing/hb"}}
		for _, dir := range []struct {
			name string
			d    report.HTTP1Direction
		}{{"in", h.In}, {"out", h.Out}} {
			d := dir.d
			rows = append(rows, []string{dir.name, units.Count(d.Heads), units.Count(d.HeadBytes), units.Count(d.Chunks),
				units.Count(d.ChunkFramingBytes), units.Count(d.BodyBytes), fig(d.ChunksPerHeartbeat, 3), fig(d.ChunkFramingPerHeartbeat, 2)})
		}
		e.table(rows)
	} else {
		e.printf("\nHTTP/2 frames in the window\n")
		rows := [][]string{{"dir", "type", "frames", "bytes", "frames/hb", "bytes/hb"}}
		for _, dir := range []struct {
			name string
			rows []report.FrameRow
		}{{"in", r.Frames.In}, {"out", r.Frames.Out}} {
			for _, f := range dir.rows {
				rows = append(rows, []string{dir.name, f.Type, units.Count(f.Frames), units.Count(f.Bytes),
					fig(f.FramesPerHeartbeat, 3), fig(f.BytesPerHeartbeat, 2)})
			}
		}
		e.table(rows)
	}
	if r.TLS == nil {
		return
	}
	e.printf("\nTLS records in the window\n")
	rows := [][]string{{"dir", "type", "records", "bytes", "bytes/hb"}}
	for _, dir := range []struct {
		name string
		rows []report.RecordRow
	}{{"in", r.TLS.In}, {"out", r.TLS.Out}} {
		for _, rr := range dir.rows {
			rows = append(rows, []string{dir.name, rr.Type, units.Count(rr.Records), units.Count(rr.Bytes), fig(rr.BytesPerHeartbeat, 2)})
		}
	}
	e.table(rows)
}

func writeTCP(e *errWriter, r *report.Report) {
	t := r.TCPInfo
	e.printf("\nTCP (kernel TCP_INFO of %s sockets", units.Count(t.Sockets))
	if t.Unreadable > 0 {
		e.printf(", %s unreadable", units.Count(t.Unreadable))
	}
	e.printf("; %.0f header bytes per segment)\n", r.Segments.HeaderBytesPerSegment)
	if !t.Available {
		e.printf("  not available\n")
		return
	}
	e.table([][]string{
		{"dir", "segments", "data segs", "pure ACKs", "kernel: app bytes", "counting conn", "diff"},
		{"in", units.Count(t.SegsIn), units.Count(t.DataSegsIn), units.Count(t.SegsIn - t.DataSegsIn),
			units.Count(t.AppBytesRead), units.Count(t.ConnBytesRead), fmt.Sprintf("%+d", t.PayloadDiffIn)},
		{"out", units.Count(t.SegsOut), units.Count(t.DataSegsOut), units.Count(t.SegsOut - t.DataSegsOut),
			units.Count(t.AppBytesWritten), units.Count(t.ConnBytesWritten), fmt.Sprintf("%+d", t.PayloadDiffOut)},
	})
	s := r.Segments
	e.printf("  segments per heartbeat %s (in %s, out %s); retransmitted %s\n",
		fig(s.PerHeartbeat, 2), fig(s.InPerHeartbeat, 2), fig(s.OutPerHeartbeat, 2), units.Count(t.TotalRetrans))
}

// writeMemory sets bench's memory beside the server's, a row per figure.
func writeMemory(e *errWriter, r *report.Report) {
	m := r.Memory
	span := func(before, after float64) string { return units.IEC(before) + " -> " + units.IEC(after) }
	rows := [][]string{
		{"", "bench"},
		{"rss", span(float64(m.ClientRSSBefore), float64(m.ClientRSSAfter))},
		{"heap", span(float64(m.ClientHeapBefore), float64(m.ClientHeapAfter))},
		{"goroutines", units.Count(m.ClientGoroutinesBefore) + " -> " + units.Count(m.ClientGoroutinesAfter)},
		{"rss/stream", units.IEC(m.ClientBytesPerStream)},
		{"heap/stream", units.IEC(m.ClientHeapPerStream)},
		{"stack/stream", units.IEC(m.ClientStackPerStream)},
		{"goroutines/stream", units.Fixed(m.ClientGoroutinesPerStream, 2)},
	}
	if m.ServerAvailable {
		for i, v := range []string{"server",
			span(m.ServerRSSBefore, m.ServerRSSAfter),
			span(m.ServerHeapBefore, m.ServerHeapAfter),
			units.Whole(m.ServerGoroutinesBefore) + " -> " + units.Whole(m.ServerGoroutinesAfter),
			units.IEC(m.ServerBytesPerStream), units.IEC(m.ServerHeapPerStream), "-",
			units.Fixed(m.ServerGoroutinesPerStream, 2)} {
			rows[i] = append(rows[i], v)
		}
	}
	e.printf("\nmemory (before the ramp -> after the warm-up)\n")
	e.table(rows)
}

func writeErrors(e *errWriter, r *report.Report) {
	if len(r.Errors.Connect) == 0 && len(r.Errors.Streams) == 0 {
		return
	}
	e.printf("\nerrors\n")
	rows := [][]string{{"kind", "code", "count"}}
	for _, k := range slices.Sorted(maps.Keys(r.Errors.Connect)) {
		rows = append(rows, []string{"connect", k, units.Count(r.Errors.Connect[k])})
	}
	for _, k := range slices.Sorted(maps.Keys(r.Errors.Streams)) {
		rows = append(rows, []string{"stream", k, units.Count(r.Errors.Streams[k])})
	}
	e.table(rows)
}

func writeProjection(e *errWriter, r *report.Report) {
	p := r.Projection
	e.printf("\n")
	e.para("", "  ", fmt.Sprintf("projection at one heartbeat every %s: %s IP bytes per heartbeat, %s per client per day (model, heartbeat alone: %s)",
		units.Millis(p.IntervalMS), fig(p.IPBytesPerHeartbeat, 1), units.Bytes(float64(p.BytesPerClientDay)), units.Bytes(p.ModelBytesPerClientDay)))
	rows := [][]string{{"clients", "bytes/day", "Mbit/s"}}
	for _, s := range p.Scales {
		rows = append(rows, []string{units.Count(s.Clients), units.Bytes(float64(s.BytesPerDay)), fig(s.MbitPerS, 3)})
	}
	e.table(rows)
}

// fig formats a figure with n decimals, "-" when it is missing.
func fig(f report.Figure, n int) string { return units.Fixed(float64(f), n) }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// wrap breaks text at spaces into lines of at most first columns, then
// width; a word longer than a line stands alone on it.
func wrap(text string, first, width int) []string {
	var lines []string
	var line strings.Builder
	limit := first
	for _, word := range strings.Fields(text) {
		if line.Len() > 0 && line.Len()+1+len([]rune(word)) > limit {
			lines = append(lines, line.String())
			line.Reset()
			limit = width
		}
		if line.Len() > 0 {
			line.WriteByte(' ')
		}
		line.WriteString(word)
	}
	if line.Len() > 0 || len(lines) == 0 {
		lines = append(lines, line.String())
	}
	return lines
}

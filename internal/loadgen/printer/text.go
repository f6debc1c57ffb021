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

// WriteText writes r as aligned tables for a terminal, with the settings
// its notes suggest named by name (in Config's words when nil).
func WriteText(w io.Writer, r *report.Report, name report.Namer) error {
	e := &errWriter{w: w}
	c := r.Config
	transport := "h2c"
	if c.TLS {
		transport = "TLS"
	}
	window := c.ClientWindow
	if c.StaticWindow > 0 {
		window = fmt.Sprintf("%s %d", window, c.StaticWindow)
	}
	e.printf("bench: %d clients against %s (%s, client window %s, %d stream(s) per connection)\n",
		c.Clients, c.Addr, transport, window, c.StreamsPerConn)
	d := r.Durations
	e.printf("ramp %s (%.0f clients/s), warm-up %s, measured %s",
		units.Millis(d.RampMS), r.Clients.RampRateAchieved, units.Millis(d.WarmupMS), units.Millis(d.MeasureMS))
	if r.Interrupted {
		e.printf(" (interrupted)")
	}
	e.printf("\n\n")

	cl := r.Clients
	e.printf("clients\n")
	e.table([][]string{
		{"requested", "connected", "failed", "connect failures", "streams ended", "connections"},
		{itoa(cl.Requested), itoa(cl.Connected), itoa(cl.Failed), utoa(cl.ConnectFailures), itoa(cl.StreamsEnded), fmt.Sprint(cl.ConnectionsOpened)},
	})

	h := r.Heartbeats
	e.printf("\nheartbeats (interval %s, %s)\n", units.Millis(h.IntervalMS), orDash(h.IntervalSource))
	e.table([][]string{
		{"received", "on wire", "per s", "gap p50", "gap p99", "gap max", "late", "missed", "overdue at end", "silent streams"},
		{utoa(h.Received), utoa(h.OnWire), fmt.Sprintf("%.1f", h.PerSecond), units.Millis(h.GapP50MS), units.Millis(h.GapP99MS), units.Millis(h.GapMaxMS),
			utoa(h.Late), utoa(h.Missed), utoa(h.OverdueAtEnd), itoa(h.SilentStreams)},
	})

	e.printf("\nwire cost per heartbeat (in: server to client, out: client to server)\n")
	rows := [][]string{{"layer", "dir", "unit", "measured", "model", "diff"}}
	for _, l := range r.Layers {
		model, diff := "-", "-"
		if l.Model != nil {
			model = fmt.Sprintf("%.2f", *l.Model)
		}
		if l.Diff != nil {
			diff = fmt.Sprintf("%+.2f", *l.Diff)
		}
		rows = append(rows, []string{l.Layer, l.Direction, l.Unit, fmt.Sprintf("%.2f", l.Measured), model, diff})
	}
	e.table(rows)
	b := r.Bytes
	e.printf("  residual (bytes not attributed to a frame): in %d, out %d", b.ResidualIn, b.ResidualOut)
	if c.TLS {
		e.printf("; TLS records: in %d, out %d", b.TLSResidualIn, b.TLSResidualOut)
	}
	e.printf("\n")

	e.printf("\nHTTP/2 frames in the window\n")
	rows = [][]string{{"dir", "type", "frames", "bytes", "frames/hb", "bytes/hb"}}
	for _, dir := range []struct {
		name string
		rows []report.FrameRow
	}{{"in", r.Frames.In}, {"out", r.Frames.Out}} {
		for _, f := range dir.rows {
			rows = append(rows, []string{dir.name, f.Type, utoa(f.Frames), utoa(f.Bytes),
				fmt.Sprintf("%.3f", f.FramesPerHeartbeat), fmt.Sprintf("%.2f", f.BytesPerHeartbeat)})
		}
	}
	e.table(rows)

	if r.TLS != nil {
		e.printf("\nTLS records in the window\n")
		rows = [][]string{{"dir", "type", "records", "bytes", "bytes/hb"}}
		for _, dir := range []struct {
			name string
			rows []report.RecordRow
		}{{"in", r.TLS.In}, {"out", r.TLS.Out}} {
			for _, rr := range dir.rows {
				rows = append(rows, []string{dir.name, rr.Type, utoa(rr.Records), utoa(rr.Bytes), fmt.Sprintf("%.2f", rr.BytesPerHeartbeat)})
			}
		}
		e.table(rows)
	}

	t := r.TCPInfo
	e.printf("\nTCP (kernel TCP_INFO of %d sockets", t.Sockets)
	if t.Unreadable > 0 {
		e.printf(", %d unreadable", t.Unreadable)
	}
	e.printf("; %.0f header bytes per segment)\n", r.Segments.HeaderBytesPerSegment)
	if t.Available {
		e.table([][]string{
			{"dir", "segments", "data segs", "pure ACKs", "kernel: app bytes", "counting conn", "diff"},
			{"in", utoa(t.SegsIn), utoa(t.DataSegsIn), utoa(t.SegsIn - t.DataSegsIn), utoa(t.AppBytesRead), utoa(t.ConnBytesRead), fmt.Sprintf("%+d", t.PayloadDiffIn)},
			{"out", utoa(t.SegsOut), utoa(t.DataSegsOut), utoa(t.SegsOut - t.DataSegsOut), utoa(t.AppBytesWritten), utoa(t.ConnBytesWritten), fmt.Sprintf("%+d", t.PayloadDiffOut)},
		})
		e.printf("  segments per heartbeat %.2f (in %.2f, out %.2f); retransmitted %d\n",
			r.Segments.PerHeartbeat, r.Segments.InPerHeartbeat, r.Segments.OutPerHeartbeat, t.TotalRetrans)
	} else {
		e.printf("  not available\n")
	}

	mem := r.Memory
	e.printf("\nmemory (before the ramp -> after the warm-up)\n")
	rows = [][]string{
		{"", "rss", "heap", "goroutines", "rss/stream", "heap/stream", "stack/stream", "goroutines/stream"},
		{"bench", fmt.Sprintf("%s -> %s", units.IEC(float64(mem.ClientRSSBefore)), units.IEC(float64(mem.ClientRSSAfter))),
			fmt.Sprintf("%s -> %s", units.IEC(float64(mem.ClientHeapBefore)), units.IEC(float64(mem.ClientHeapAfter))),
			fmt.Sprintf("%d -> %d", mem.ClientGoroutinesBefore, mem.ClientGoroutinesAfter),
			units.IEC(mem.ClientBytesPerStream), units.IEC(mem.ClientHeapPerStream), units.IEC(mem.ClientStackPerStream),
			fmt.Sprintf("%.2f", mem.ClientGoroutinesPerStream)},
	}
	if mem.ServerAvailable {
		rows = append(rows, []string{"server",
			fmt.Sprintf("%s -> %s", units.IEC(mem.ServerRSSBefore), units.IEC(mem.ServerRSSAfter)),
			fmt.Sprintf("%s -> %s", units.IEC(mem.ServerHeapBefore), units.IEC(mem.ServerHeapAfter)),
			fmt.Sprintf("%.0f -> %.0f", mem.ServerGoroutinesBefore, mem.ServerGoroutinesAfter),
			units.IEC(mem.ServerBytesPerStream), units.IEC(mem.ServerHeapPerStream), "-",
			fmt.Sprintf("%.2f", mem.ServerGoroutinesPerStream)})
	}
	e.table(rows)

	if len(r.Errors.Connect) > 0 || len(r.Errors.Streams) > 0 {
		e.printf("\nerrors\n")
		rows = [][]string{{"kind", "code", "count"}}
		for _, k := range slices.Sorted(maps.Keys(r.Errors.Connect)) {
			rows = append(rows, []string{"connect", k, utoa(r.Errors.Connect[k])})
		}
		for _, k := range slices.Sorted(maps.Keys(r.Errors.Streams)) {
			rows = append(rows, []string{"stream", k, utoa(r.Errors.Streams[k])})
		}
		e.table(rows)
	}

	p := r.Projection
	e.printf("\nprojection at one heartbeat every %s: %.1f IP bytes per heartbeat, %s per client per day (model, heartbeat alone: %s)\n",
		units.Millis(p.IntervalMS), p.IPBytesPerHeartbeat, units.Bytes(p.BytesPerClientDay), units.Bytes(p.ModelBytesPerClientDay))
	rows = [][]string{{"clients", "bytes/day", "Mbit/s"}}
	for _, s := range p.Scales {
		rows = append(rows, []string{itoa(s.Clients), units.Bytes(s.BytesPerDay), fmt.Sprintf("%.3f", s.MbitPerS)})
	}
	e.table(rows)

	if len(r.Notes) > 0 {
		e.printf("\nnotes\n")
		for _, n := range report.Texts(r.Notes, name) {
			e.printf("  - %s\n", n)
		}
	}
	return e.err
}

func itoa(n int) string    { return fmt.Sprint(n) }
func utoa(n uint64) string { return fmt.Sprint(n) }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

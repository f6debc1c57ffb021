package loadgen

import (
	"fmt"
	"math"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"galaxy/galaxyctl/internal/loadgen/wire"
	"galaxy/galaxyctl/internal/units"
)

// notes says in plain words what the report's numbers mean, where they
// depart from the model and where they are doubtful.
func notes(m measurement, r *Report) []string {
	var n []string
	add := func(format string, args ...any) { n = append(n, fmt.Sprintf(format, args...)) }
	cfg := m.cfg
	w := &m.win
	b := &r.Bytes
	hbs := w.H2In.Heartbeats

	switch m.interrupted {
	case PhaseMeasure:
		add("The run was interrupted %s into the %s window; the figures cover that part.",
			roundDur(m.window), roundDur(cfg.Duration))
	case PhaseRamp, PhaseWarmup:
		add("The run was interrupted during the %s, before the measurement window: no per-heartbeat figures. The client counts and bench's memory cover the %d of %d clients connected by then.",
			phaseWords[m.interrupted], m.connected, cfg.Clients)
	}
	if m.failed > 0 {
		add("%d of %d clients failed to connect after %d attempts each (%s); the figures cover the %d that connected.",
			m.failed, cfg.Clients, cfg.ConnectBackoff.MaxAttempts, errSummary(m.connectErrs, m.connectErrSamples), m.connected)
	} else if m.connectFailures > 0 {
		add("%d connect attempts failed and were retried (%s); every client connected in the end.",
			m.connectFailures, errSummary(m.connectErrs, m.connectErrSamples))
	}
	if m.ended > 0 {
		add("%d streams ended before the run did (%s); they are not reconnected, so they drop out of the figures.",
			m.ended, errSummary(m.streamErrs, nil))
	}
	if m.interrupted == PhaseRamp || m.interrupted == PhaseWarmup {
		return append(n, memoryNotes(m, r)...)
	}
	if hbs == 0 {
		add("No heartbeat arrived in the %s window, so every per-heartbeat figure is 0. Is the gateway's heartbeat interval longer than the window, or are heartbeats off (--heartbeat 0)?",
			roundDur(m.window))
		return append(n, memoryNotes(m, r)...)
	}
	if m.appOther > 0 || w.H2In.Messages > hbs {
		add("%d messages other than heartbeats arrived in the window; the per-heartbeat figures include their bytes.",
			max(m.appOther, w.H2In.Messages-hbs))
	}

	if h := w.H2In.Frames[wire.KindHeaders]; h > 0 {
		add("%d HEADERS frames from the server fell in the window (%.1f bytes per heartbeat): response headers of streams whose first message came after the warm-up, or trailers of streams that ended. A --warmup longer than the heartbeat interval keeps the first ones out.",
			h, perFloat(w.H2In.FrameBytes(wire.KindHeaders)+w.H2In.FrameBytes(wire.KindContinuation), hbs))
	}

	// What the client sends back, against the heartbeat itself.
	dataFrame := float64(w.H2In.FrameBytes(wire.KindData)) / float64(hbs)
	replies := b.ClientRepliesPerHeartbeat + b.ServerPingsPerHeartbeat
	if replies > dataFrame {
		out := &w.H2Out
		detail := fmt.Sprintf("WINDOW_UPDATE %.1f, PING %.1f, PING ack %.1f",
			perFloat(out.FrameBytes(wire.KindWindowUpdate), hbs),
			perFloat(out.FrameBytes(wire.KindPing), hbs),
			perFloat(out.FrameBytes(wire.KindPingAck), hbs))
		if cfg.ClientWindow == WindowDynamic {
			add("The client's flow-control replies cost more than the heartbeat itself: per heartbeat the client sent %.1f bytes of HTTP/2 frames back (%s) and the server answered with %.1f bytes of PING frames, against %.1f bytes for the heartbeat's DATA frame. grpc-go's BDP estimator sends a PING whenever data arrives and no probe is outstanding, which for an idle stream is nearly every heartbeat. Rerun with --client-window static to measure the heartbeat without it.",
				b.ClientRepliesPerHeartbeat, detail, b.ServerPingsPerHeartbeat, dataFrame)
		} else {
			add("Even with a static window the client's replies cost more than the heartbeat: %.1f bytes of HTTP/2 frames back per heartbeat (%s) and %.1f bytes of server PING frames, against %.1f for the DATA frame.",
				b.ClientRepliesPerHeartbeat, detail, b.ServerPingsPerHeartbeat, dataFrame)
		}
	}
	if b.ServerPingsPerHeartbeat > 0 && w.H2In.Frames[wire.KindPing] > 0 {
		add("The server sent %d PING frames of its own in the window (keepalive?), %.1f bytes per heartbeat with the client's acks.",
			w.H2In.Frames[wire.KindPing], b.ServerPingsPerHeartbeat+perFloat(w.H2Out.FrameBytes(wire.KindPingAck), hbs))
	}

	// Do the bytes add up?
	if b.ResidualIn != 0 || b.ResidualOut != 0 {
		add("Frame accounting is out of step: %d bytes in and %d out over the window are not attributed to an HTTP/2 frame (expected 0; a frame cut by the window's edge accounts for a few bytes).",
			b.ResidualIn, b.ResidualOut)
	}
	if w.H2In.Undecoded > 0 || w.H2Out.Undecoded > 0 {
		add("%d bytes did not decode as HTTP/2; is the gateway speaking h2c (or TLS, with --tls)?", w.H2In.Undecoded+w.H2Out.Undecoded)
	}
	if m.cfg.TLS != nil && (b.TLSResidualIn != 0 || b.TLSResidualOut != 0) {
		add("TLS record accounting is out of step by %d bytes in and %d out over the window (expected 0).", b.TLSResidualIn, b.TLSResidualOut)
	}
	if m.cfg.TLS != nil && r.TLS != nil && r.TLS.RecordsInPerHeartbeat > 0 {
		add("TLS adds %.1f bytes in per heartbeat in %.2f records (the model's 22 is one TLS 1.3 AES-GCM record: 5 header, 1 content type, 16 tag).",
			b.TLSOverheadInPerHeartbeat, r.TLS.RecordsInPerHeartbeat)
	}

	// The kernel's view.
	t := &m.tcp
	switch {
	case !tcpInfoSupported:
		add("TCP_INFO is only read on Linux: segments, ACKs and TCP/IP headers are missing, and the IP figures count socket payload only.")
	case t.Sockets == 0:
		add("TCP_INFO could not be read from any client socket: segments, ACKs and TCP/IP headers are missing, and the IP figures count socket payload only.")
	default:
		if t.Failed > 0 {
			add("TCP_INFO could not be read from %d sockets; the kernel figures cover the other %d.", t.Failed, t.Sockets)
		}
		hdr := r.Segments.HeaderBytesPerSegment
		add("TCP/IP headers are counted, not captured: %.0f bytes per segment (IPv4 20 + TCP 20 + timestamp option 12 on Linux; IPv6 adds 20), times the kernel's segment counts. Options sent on loss (SACK blocks) are not counted.", hdr)
		if t.NoTimestamps > 0 {
			add("%d sockets did not negotiate TCP timestamps; their segments count 40 header bytes (IPv4), not 52.", t.NoTimestamps)
		}
		if d := r.TCPInfo.PayloadDiffIn; !agrees(d, b.SocketIn) {
			add("The kernel's count of bytes the client read (%d) and the counting connections' (%d) differ by %d over the window.", t.AppRead, t.ConnRead, d)
		}
		if d := r.TCPInfo.PayloadDiffOut; !agrees(d, b.SocketOut) {
			add("The kernel's count of bytes the client wrote (%d) and the counting connections' (%d) differ by %d over the window.", t.AppWritten, t.ConnWritten, d)
		}
		if t.TotalRetrans > 0 {
			add("%d segments were retransmitted in the window; their bytes count in the kernel figures only.", t.TotalRetrans)
		}
		if r.Segments.PerHeartbeat > 2.05 {
			add("Each heartbeat costs %.2f TCP segments (%.2f in, %.2f out, of them %.2f pure ACKs from the client); the model has the heartbeat's one segment plus the client's ACK.",
				r.Segments.PerHeartbeat, r.Segments.InPerHeartbeat, r.Segments.OutPerHeartbeat, r.Segments.PureAckOutPerHeartbeat)
		}
		if isLoopback(cfg.Addr) {
			add("Measured over loopback: on a real network delayed ACKs, coalescing and path MTU can change the segment counts.")
		}
	}

	// Regularity.
	g := m.gaps
	switch g.IntervalSource {
	case IntervalExpected:
		if g.Count > 0 && math.Abs(float64(g.P50-g.Interval)) > 0.1*float64(g.Interval) {
			add("The median gap (%s) differs from the expected interval (%s) by more than 10 %%.", roundDur(g.P50), roundDur(g.Interval))
		}
	case IntervalLearnedWarmup, IntervalLearnedWindow:
		if g.Interval > 0 {
			add("The heartbeat interval was learned as the median gap: %s.", roundDur(g.Interval))
		}
	}
	if g.Late > 0 || g.Missed > 0 || m.stalled > 0 {
		add("%d gaps were late (over 1.5 × %s) and %d heartbeats were missed; %d streams were overdue at the window's end (%d heartbeats).",
			g.Late, roundDur(g.Interval), g.Missed, m.stalled, m.overdueAtEnd)
	}
	if m.silent > 0 {
		add("%d streams received no heartbeat in the window.", m.silent)
	}
	if g.Interval > 0 && m.window < 3*g.Interval {
		add("The window holds only %.1f heartbeat intervals; a --duration of several intervals gives steadier figures.", float64(m.window)/float64(g.Interval))
	}
	if g.Interval > 0 && !near(g.Interval, cfg.ProjectInterval) {
		add("The projection assumes the bytes per heartbeat measured at a %s interval hold at %s; ACK and flow-control timing can change with the interval.",
			roundDur(g.Interval), roundDur(cfg.ProjectInterval))
	}

	return append(n, memoryNotes(m, r)...)
}

// phaseWords names the phases before the window in a sentence.
var phaseWords = map[Phase]string{PhaseRamp: "ramp", PhaseWarmup: "warm-up"}

// memoryNotes says where bench's memory goes and what is missing of the
// server's.
func memoryNotes(m measurement, r *Report) []string {
	var n []string
	add := func(format string, args ...any) { n = append(n, fmt.Sprintf(format, args...)) }
	cfg := m.cfg
	mem := &r.Memory
	if mem.ClientRSSAfter == 0 {
		add("bench's RSS could not be read (no /proc/self/statm); memory per stream is from the Go heap only.")
	} else if m.connected > 0 {
		note := fmt.Sprintf("bench holds about %s of RSS per stream: %s of Go heap and %s of goroutine stacks for %.1f goroutines. Most are grpc-go's: each ClientConn runs a transport reader and writer and its own resolver and balancer goroutines, and one more goroutine receives each stream; --streams-per-conn shares a ClientConn.",
			units.IEC(mem.ClientBytesPerStream), units.IEC(mem.ClientHeapPerStream), units.IEC(mem.ClientStackPerStream), mem.ClientGoroutinesPerStream)
		if m.connected < 1000 {
			note += fmt.Sprintf(" With only %d streams the runtime's own growth weighs on these figures.", m.connected)
		}
		n = append(n, note)
	}
	if cfg.ServerMetricsURL != "" {
		switch {
		case m.srvErr != "":
			add("The server's metrics could not be scraped after the warm-up (%s), so its memory per stream is missing.", m.srvErr)
		case m.srvAfter != nil && m.srvBefore != nil && (!m.srvAfter.HasActiveStreams || !m.srvBefore.HasActiveStreams):
			add("The server exposes no %s; its memory per stream divides by the %d streams bench holds.", metricActiveStreams, m.connected)
		}
		if m.srvAfter != nil && !m.srvAfter.HasRSS {
			add("The server exposes no %s.", metricRSS)
		}
	}
	return n
}

// agrees is whether a kernel/count difference is small enough to be the
// bytes in flight at the window's edges: within 64 bytes or 1 %.
func agrees(diff int64, total uint64) bool {
	d := math.Abs(float64(diff))
	return d <= 64 || d <= 0.01*float64(total)
}

func near(a, b time.Duration) bool {
	return math.Abs(float64(a-b)) <= 0.05*float64(b)
}

func perFloat(n, hbs uint64) float64 { return float64(n) / float64(hbs) }

func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

// errSummary lists counts by code, most frequent first, with a sample
// message for the first code when there is one.
func errSummary(counts map[string]uint64, samples map[string]string) string {
	codes := make([]string, 0, len(counts))
	for c := range counts {
		codes = append(codes, c)
	}
	slices.SortFunc(codes, func(a, b string) int {
		if counts[a] != counts[b] {
			if counts[a] > counts[b] {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, 0, len(codes))
	for _, c := range codes {
		parts = append(parts, fmt.Sprintf("%s %d", c, counts[c]))
	}
	s := strings.Join(parts, ", ")
	if len(codes) > 0 && samples[codes[0]] != "" {
		s += fmt.Sprintf("; e.g. %q", samples[codes[0]])
	}
	return s
}

func roundDur(d time.Duration) time.Duration {
	switch {
	case d >= 10*time.Second:
		return d.Round(100 * time.Millisecond)
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	}
	return d
}

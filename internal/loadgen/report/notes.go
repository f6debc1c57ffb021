package report

import (
	"math"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"galaxy/galaxyctl/internal/loadgen/wire"
	"galaxy/galaxyctl/internal/units"
)

// notesBuilder collects notes in order.
type notesBuilder []Note

func (n *notesBuilder) add(format string, args ...any) { *n = append(*n, NewNote(format, args...)) }

// notes says in plain words what the report's numbers mean, where they
// depart from the model and where they are doubtful.
func notes(m *Measurement, r *Report) []Note {
	var n notesBuilder
	runNotes(&n, m)
	if m.Interrupted == PhaseRamp || m.Interrupted == PhaseWarmup {
		memoryNotes(&n, m, r)
		return n
	}
	if m.Counters.Heartbeats() == 0 {
		n.add("No heartbeat arrived in the %s window, so there are no per-heartbeat figures. Is the gateway's heartbeat interval longer than the window, or are its heartbeats off?",
			roundDur(m.Window))
		memoryNotes(&n, m, r)
		return n
	}
	wireNotes(&n, m, r)
	accountingNotes(&n, m, r)
	kernelNotes(&n, m, r)
	regularityNotes(&n, m)
	memoryNotes(&n, m, r)
	return n
}

// phaseWords names the phases before the window in a sentence.
var phaseWords = map[Phase]string{PhaseRamp: "ramp", PhaseWarmup: "warm-up"}

// runNotes says how the run went: interrupted, clients that failed or
// whose streams ended.
func runNotes(n *notesBuilder, m *Measurement) {
	cfg := &m.Config
	switch m.Interrupted {
	case PhaseMeasure:
		n.add("The run was interrupted %s into the %s window; the figures cover that part.",
			roundDur(m.Window), roundDur(msDur(cfg.DurationMS)))
	case PhaseRamp, PhaseWarmup:
		n.add("The run was interrupted during the %s, before the measurement window: no per-heartbeat figures. The client counts and bench's memory cover the %d of %d clients connected by then.",
			phaseWords[m.Interrupted], m.Connected, cfg.Clients)
	}
	if m.Failed > 0 {
		n.add("%d of %d clients failed to connect after %d attempts each (%s); the figures cover the %d that connected.",
			m.Failed, cfg.Clients, m.ConnectMaxAttempts, ErrSummary(m.ConnectErrors, m.ConnectErrorSamples), m.Connected)
	} else if m.ConnectFailures > 0 {
		n.add("%d connect attempts failed and were retried (%s); every client connected in the end.",
			m.ConnectFailures, ErrSummary(m.ConnectErrors, m.ConnectErrorSamples))
	}
	if m.Ended > 0 {
		n.add("%d streams ended before the run did (%s); they are not reconnected, so they drop out of the figures.",
			m.Ended, ErrSummary(m.StreamErrors, nil))
	}
}

// wireNotes says what besides the heartbeat crossed the wire.
func wireNotes(n *notesBuilder, m *Measurement, r *Report) {
	w, b := &m.Counters, &r.Bytes
	hbs := w.Heartbeats()
	msgs := w.MsgIn().Messages
	if m.OtherMessages > 0 || msgs > hbs {
		n.add("%d messages other than heartbeats arrived in the window; the per-heartbeat figures include their bytes.",
			max(m.OtherMessages, msgs-hbs))
	}
	if h := w.H2In.Frames[wire.KindHeaders]; h > 0 {
		n.add("%d HEADERS frames from the server fell in the window (%.1f bytes per heartbeat): response headers of streams whose first message came after the warm-up, or trailers of streams that ended. A %s longer than the heartbeat interval keeps the first ones out.",
			h, perFloat(w.H2In.FrameBytes(wire.KindHeaders)+w.H2In.FrameBytes(wire.KindContinuation), hbs), Hint{Field: "Warmup"})
	}

	// What the client sends back, against the heartbeat itself.
	dataFrame := perFloat(w.H2In.FrameBytes(wire.KindData), hbs)
	if replies := float64(b.ClientRepliesPerHeartbeat + b.ServerPingsPerHeartbeat); replies > dataFrame {
		out := &w.H2Out
		detail := "WINDOW_UPDATE " + units.Fixed(perFloat(out.FrameBytes(wire.KindWindowUpdate), hbs), 1) +
			", PING " + units.Fixed(perFloat(out.FrameBytes(wire.KindPing), hbs), 1) +
			", PING ack " + units.Fixed(perFloat(out.FrameBytes(wire.KindPingAck), hbs), 1)
		switch m.Config.ClientWindow {
		case WindowBrowser:
			n.add("The client's flow-control replies cost more than the heartbeat itself: per heartbeat the client sent %.1f bytes of HTTP/2 frames back (%s), against %.1f bytes for the heartbeat's DATA frame. Chromium sends a WINDOW_UPDATE for the connection and one for the stream, each in a write (and a TLS record) of its own, after any data that comes 5 s or more after that scope's last update: at heartbeats of 5 s or more, after every one.",
				b.ClientRepliesPerHeartbeat, detail, dataFrame)
		case WindowDynamic:
			n.add("The client's flow-control replies cost more than the heartbeat itself: per heartbeat the client sent %.1f bytes of HTTP/2 frames back (%s) and the server answered with %.1f bytes of PING frames, against %.1f bytes for the heartbeat's DATA frame. grpc-go's BDP estimator sends a PING whenever data arrives and no probe is outstanding, which for an idle stream is nearly every heartbeat. Rerun with %s to measure the heartbeat without it.",
				b.ClientRepliesPerHeartbeat, detail, b.ServerPingsPerHeartbeat, dataFrame, Hint{Field: "Profile", Value: ProfileGRPCGoStatic})
		default:
			n.add("Even with a static window the client's replies cost more than the heartbeat: %.1f bytes of HTTP/2 frames back per heartbeat (%s) and %.1f bytes of server PING frames, against %.1f for the DATA frame.",
				b.ClientRepliesPerHeartbeat, detail, b.ServerPingsPerHeartbeat, dataFrame)
		}
	}
	if b.ServerPingsPerHeartbeat > 0 && w.H2In.Frames[wire.KindPing] > 0 {
		n.add("The server sent %d PING frames of its own in the window (keepalive?), %.1f bytes per heartbeat with the client's acks.",
			w.H2In.Frames[wire.KindPing], float64(b.ServerPingsPerHeartbeat)+perFloat(w.H2Out.FrameBytes(wire.KindPingAck), hbs))
	}
}

// accountingNotes says whether the bytes add up.
func accountingNotes(n *notesBuilder, m *Measurement, r *Report) {
	w, b, tls := &m.Counters, &r.Bytes, m.Config.TLS
	if b.ResidualIn != 0 || b.ResidualOut != 0 {
		n.add("Frame accounting is out of step: %d bytes in and %d out over the window are not attributed to an HTTP/2 frame or HTTP/1.1 head, chunk or body (expected 0; a frame cut by the window's edge accounts for a few bytes).",
			b.ResidualIn, b.ResidualOut)
	}
	if u := w.H2In.Undecoded + w.H2Out.Undecoded + w.H1In.Undecoded + w.H1Out.Undecoded; u > 0 {
		n.add("%d bytes did not decode as HTTP; is the gateway speaking plaintext HTTP (or TLS, with %s)?",
			u, Hint{Field: "TLS"})
	}
	if tls && (b.TLSResidualIn != 0 || b.TLSResidualOut != 0) {
		n.add("TLS record accounting is out of step by %d bytes in and %d out over the window (expected 0).", b.TLSResidualIn, b.TLSResidualOut)
	}
	if tls && r.TLS != nil && r.TLS.RecordsInPerHeartbeat > 0 {
		n.add("TLS adds %.1f bytes in per heartbeat in %.2f records (the model's %.0f is one TLS 1.3 AES-GCM record: 5 header, 1 content type, 16 tag).",
			b.TLSOverheadInPerHeartbeat, r.TLS.RecordsInPerHeartbeat, ModelFor(true).TLSRecord)
	}
}

// kernelNotes says what TCP_INFO adds, or that it is missing.
func kernelNotes(n *notesBuilder, m *Measurement, r *Report) {
	t, b := &m.TCP, &r.Bytes
	switch {
	case !m.TCPInfoSupported:
		n.add("TCP_INFO is only read on Linux: segments, ACKs and TCP/IP headers are missing, and the IP figures count socket payload only.")
		return
	case t.Sockets == 0:
		n.add("TCP_INFO could not be read from any client socket: segments, ACKs and TCP/IP headers are missing, and the IP figures count socket payload only.")
		return
	}
	if t.Failed > 0 {
		n.add("TCP_INFO could not be read from %d sockets; the kernel figures cover the other %d.", t.Failed, t.Sockets)
	}
	n.add("TCP/IP headers are counted, not captured: %.0f bytes per segment (IPv4 20 + TCP 20 + timestamp option 12 on Linux; IPv6 adds 20), times the kernel's segment counts. Options sent on loss (SACK blocks) are not counted.",
		r.Segments.HeaderBytesPerSegment)
	if t.NoTimestamps > 0 {
		n.add("%d sockets did not negotiate TCP timestamps; their segments count 40 header bytes (IPv4), not 52.", t.NoTimestamps)
	}
	if d := r.TCPInfo.PayloadDiffIn; !agrees(d, b.SocketIn) {
		n.add("The kernel's count of bytes the client read (%d) and the counting connections' (%d) differ by %d over the window.", t.AppRead, t.ConnRead, d)
	}
	if d := r.TCPInfo.PayloadDiffOut; !agrees(d, b.SocketOut) {
		n.add("The kernel's count of bytes the client wrote (%d) and the counting connections' (%d) differ by %d over the window.", t.AppWritten, t.ConnWritten, d)
	}
	if t.TotalRetrans > 0 {
		n.add("%d segments were retransmitted in the window; their bytes count in the kernel figures only.", t.TotalRetrans)
	}
	if s := &r.Segments; s.PerHeartbeat > 2.05 {
		n.add("Each heartbeat costs %.2f TCP segments (%.2f in, %.2f out, of them %.2f pure ACKs from the client); the model has the heartbeat's one segment plus the client's ACK.",
			s.PerHeartbeat, s.InPerHeartbeat, s.OutPerHeartbeat, s.PureAckOutPerHeartbeat)
	}
	if isLoopback(m.Config.Addr) {
		n.add("Measured over loopback: on a real network delayed ACKs, coalescing and path MTU can change the segment counts.")
	}
}

// regularityNotes says how regular the heartbeats were.
func regularityNotes(n *notesBuilder, m *Measurement) {
	g := m.Gaps.Stats()
	switch g.IntervalSource {
	case IntervalExpected:
		if g.Count > 0 && math.Abs(float64(g.P50-g.Interval)) > 0.1*float64(g.Interval) {
			n.add("The median gap (%s) differs from the expected interval (%s) by more than 10 %%.", roundDur(g.P50), roundDur(g.Interval))
		}
	case IntervalLearnedWarmup, IntervalLearnedWindow:
		if g.Interval > 0 {
			n.add("The heartbeat interval was learned as the median gap: %s.", roundDur(g.Interval))
		}
	}
	if g.Late > 0 || g.Missed > 0 || m.Stalled > 0 {
		n.add("%d gaps were late (over 1.5 × %s) and %d heartbeats were missed; %d streams were overdue at the window's end (%d heartbeats).",
			g.Late, roundDur(g.Interval), g.Missed, m.Stalled, m.OverdueAtEnd)
	}
	if m.Silent > 0 {
		n.add("%d streams received no heartbeat in the window.", m.Silent)
	}
	if g.Interval > 0 && m.Window < 3*g.Interval {
		n.add("The window holds only %.1f heartbeat intervals; a %s of several intervals gives steadier figures.",
			float64(m.Window)/float64(g.Interval), Hint{Field: "Duration"})
	}
	if project := msDur(m.Config.ProjectIntervalMS); g.Interval > 0 && !near(g.Interval, project) {
		n.add("The projection assumes the bytes per heartbeat measured at a %s interval hold at %s; ACK and flow-control timing can change with the interval.",
			roundDur(g.Interval), roundDur(project))
	}
}

// memoryNotes says where bench's memory goes and what is missing of the
// server's.
func memoryNotes(n *notesBuilder, m *Measurement, r *Report) {
	mem := &r.Memory
	if mem.ClientRSSAfter == 0 {
		n.add("bench's RSS could not be read (no /proc/self/statm); memory per stream is from the Go heap only.")
	} else if m.Connected > 0 {
		small := ""
		if m.Connected < 1000 {
			small = " With only " + units.Count(m.Connected) + " streams the runtime's own growth weighs on these figures."
		}
		how := "; RSS delta over the connected streams at default GOGC, the ramp's freed pages returned to the system before the warm-up"
		if m.Config.Engine == EngineGRPCGo {
			n.add("bench holds about %s of RSS per stream (grpc-go engine%s): %s of Go heap and %s of goroutine stacks for %.1f goroutines. Most are grpc-go's: each ClientConn runs a transport reader and writer and its own resolver and balancer goroutines, and one more goroutine receives each stream; %s shares a ClientConn.%s",
				units.IEC(mem.ClientBytesPerStream), how, units.IEC(mem.ClientHeapPerStream), units.IEC(mem.ClientStackPerStream),
				mem.ClientGoroutinesPerStream, Hint{Field: "StreamsPerConn"}, small)
		} else {
			n.add("bench holds about %s of RSS per stream (lean engine%s): %s of Go heap and %.2f goroutines; the engine serves idle connections from event loops, so a client is its connection's state, decoders and counters, plus its TLS connection when on.%s",
				units.IEC(mem.ClientBytesPerStream), how, units.IEC(mem.ClientHeapPerStream), mem.ClientGoroutinesPerStream, small)
		}
	}
	if mem.KernelSocketBytesAfter > 0 && m.Connected > 0 {
		n.add("The kernel's TCP socket memory (/proc/net/sockstat, the whole machine: both ends on loopback, and any other process) went from %s to %s, %s per stream; it is not in any RSS.",
			units.IEC(float64(mem.KernelSocketBytesBefore)), units.IEC(float64(mem.KernelSocketBytesAfter)), units.IEC(mem.KernelSocketBytesPerStream))
	}
	if m.Config.ServerMetricsURL == "" {
		return
	}
	before, after := m.ServerBefore, m.ServerAfter
	switch {
	case m.ServerError != "":
		n.add("The server's metrics could not be scraped after the warm-up (%s), so its memory per stream is missing.", m.ServerError)
	case after != nil && before != nil && (!after.HasActiveStreams || !before.HasActiveStreams):
		n.add("The server exposes no %s; its memory per stream divides by the %d streams bench holds.", MetricActiveStreams, m.Connected)
	}
	if after != nil && !after.HasRSS {
		n.add("The server exposes no %s.", MetricRSS)
	}
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

func perFloat(n, hbs uint64) float64 {
	if hbs == 0 {
		return 0
	}
	return float64(n) / float64(hbs)
}

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

// ErrSummary lists counts by code, most frequent first, with a sample
// message for the first code when there is one.
func ErrSummary(counts map[string]uint64, samples map[string]string) string {
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
		parts = append(parts, c+" "+strconv.FormatUint(counts[c], 10))
	}
	s := strings.Join(parts, ", ")
	if len(codes) > 0 && samples[codes[0]] != "" {
		s += "; e.g. " + strconv.Quote(samples[codes[0]])
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

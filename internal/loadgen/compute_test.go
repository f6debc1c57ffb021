package loadgen

import (
	"math"
	"strings"
	"testing"
	"time"

	"galaxy/galaxyctl/internal/loadgen/wire"
)

// h2cMeasurement is 100 heartbeats of the model exactly: each a 33-byte
// DATA frame in one segment, and nothing else on the wire.
func h2cMeasurement(t *testing.T) measurement {
	t.Helper()
	cfg, err := Config{Addr: "127.0.0.1:7070", Clients: 10, ExpectedInterval: 15 * time.Second}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	m := measurement{cfg: cfg, window: 150 * time.Second, connected: 10}
	in := &m.win.H2In
	in.Heartbeats, in.Messages = 100, 100
	in.HeartbeatBytes, in.MessageBytes = 1900, 1900
	in.GRPCPrefix = 500
	in.Frames[wire.KindData], in.Payload[wire.KindData] = 100, 2400
	in.Bytes = 3300
	m.tcp = tcpTotals{Sockets: 10, SegsIn: 100, DataSegsIn: 100, BytesReceived: 3300, AppRead: 3300, ConnRead: 3300, HeaderBytesIn: 5200}
	m.appHeartbeats = 100
	m.gaps = gapStats{Interval: 15 * time.Second, IntervalSource: IntervalExpected, P50: 15 * time.Second, Count: 90}
	return m
}

func TestBuildReportArithmetic(t *testing.T) {
	r := buildReport(h2cMeasurement(t))
	checks := []struct {
		name      string
		got, want float64
	}{
		{"protobuf_per_heartbeat", r.Bytes.ProtobufPerHeartbeat, 19},
		{"grpc_prefix_per_heartbeat", r.Bytes.GRPCPrefixPerHeartbeat, 5},
		{"http2_frame_header_per_heartbeat", r.Bytes.HTTP2FrameHeaderPerHeartbeat, 9},
		{"http2_per_heartbeat", r.Bytes.HTTP2PerHeartbeat, 33},
		{"socket_in_per_heartbeat", r.Bytes.SocketInPerHeartbeat, 33},
		{"ip_in_per_heartbeat", r.Bytes.IPInPerHeartbeat, 85},
		{"ip_per_heartbeat", r.Bytes.IPPerHeartbeat, 85},
		{"segments.per_heartbeat", r.Segments.PerHeartbeat, 1},
		{"segments.header_bytes_per_segment", r.Segments.HeaderBytesPerSegment, 52},
		{"heartbeats.per_second", r.Heartbeats.PerSecond, 100.0 / 150},
		{"projection.heartbeats_per_client_day", r.Projection.HeartbeatsPerClientDay, 5760},
		// 85 bytes every 15s: 85 × 5760.
		{"projection.bytes_per_client_day", r.Projection.BytesPerClientDay, 489_600},
		{"projection.model_bytes_per_client_day", r.Projection.ModelBytesPerClientDay, 489_600},
	}
	for _, c := range checks {
		if math.Abs(c.got-c.want) > 1e-9 {
			t.Errorf("buildReport() %s = %v, want %v", c.name, c.got, c.want)
		}
	}
	wantScales := []ScaleRow{
		{Clients: 10_000, BytesPerDay: 4.896e9, MbitPerS: 4.896e9 * 8 / 86400 / 1e6},
		{Clients: 100_000, BytesPerDay: 4.896e10, MbitPerS: 4.896e10 * 8 / 86400 / 1e6},
		{Clients: 1_000_000, BytesPerDay: 4.896e11, MbitPerS: 4.896e11 * 8 / 86400 / 1e6},
	}
	if len(r.Projection.Scales) != len(wantScales) {
		t.Fatalf("projection.scales = %v, want %v", r.Projection.Scales, wantScales)
	}
	for i, w := range wantScales {
		g := r.Projection.Scales[i]
		if g.Clients != w.Clients || math.Abs(g.BytesPerDay-w.BytesPerDay) > 1e-3 || math.Abs(g.MbitPerS-w.MbitPerS) > 1e-9 {
			t.Errorf("projection.scales[%d] = %+v, want %+v", i, g, w)
		}
	}
	if got := r.Projection.Scales[0].MbitPerS; math.Abs(got-0.45333333) > 1e-6 {
		t.Errorf("10k clients = %v Mbit/s, want 0.4533", got)
	}
	for _, l := range r.Layers {
		if l.Direction == "in" && (l.Diff == nil || *l.Diff != 0) {
			t.Errorf("layer %s in: measured %v model %v diff %v, want diff 0", l.Layer, l.Measured, deref(l.Model), deref(l.Diff))
		}
	}
	if r.Bytes.ResidualIn != 0 || r.TCPInfo.PayloadDiffIn != 0 {
		t.Errorf("residual in %d, tcp payload diff %d, want 0 0", r.Bytes.ResidualIn, r.TCPInfo.PayloadDiffIn)
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// withReplies adds what grpc-go's dynamic window sends per heartbeat: a
// connection WINDOW_UPDATE and a BDP PING out, the PING ack in, and the
// segments they take.
func withReplies(m measurement) measurement {
	n := m.win.H2In.Heartbeats
	out := &m.win.H2Out
	out.Frames[wire.KindWindowUpdate], out.Payload[wire.KindWindowUpdate] = n, 4*n
	out.Frames[wire.KindPing], out.Payload[wire.KindPing] = n, 8*n
	out.Bytes = 30 * n
	in := &m.win.H2In
	in.Frames[wire.KindPingAck], in.Payload[wire.KindPingAck] = n, 8*n
	in.Bytes += 17 * n
	m.tcp.SegsIn += n
	m.tcp.DataSegsIn += n
	m.tcp.HeaderBytesIn += 52 * n
	m.tcp.BytesReceived += 17 * n
	m.tcp.AppRead += 17 * n
	m.tcp.ConnRead += 17 * n
	m.tcp.SegsOut += 2 * n
	m.tcp.DataSegsOut += n
	m.tcp.HeaderBytesOut += 104 * n
	m.tcp.BytesAcked += 30 * n
	m.tcp.AppWritten += 30 * n
	m.tcp.ConnWritten += 30 * n
	return m
}

func TestBuildReportClientReplies(t *testing.T) {
	m := withReplies(h2cMeasurement(t))
	r := buildReport(m)
	if got := r.Bytes.ClientRepliesPerHeartbeat; got != 30 {
		t.Errorf("client_replies_per_heartbeat = %v, want 30", got)
	}
	if got := r.Bytes.ServerPingsPerHeartbeat; got != 17 {
		t.Errorf("server_pings_per_heartbeat = %v, want 17", got)
	}
	// in: 50 + 2 × 52; out: 30 + 2 × 52.
	if got := r.Bytes.IPPerHeartbeat; got != 288 {
		t.Errorf("ip_per_heartbeat = %v, want 288", got)
	}
	if got := r.Segments.PureAckOutPerHeartbeat; got != 1 {
		t.Errorf("pure_ack_out_per_heartbeat = %v, want 1", got)
	}
	if !hasNote(r, "--client-window static") {
		t.Errorf("notes = %q, want one suggesting --client-window static", r.Notes)
	}

	m.cfg.ClientWindow = WindowStatic
	r = buildReport(m)
	if hasNote(r, "Rerun with --client-window static") || !hasNote(r, "Even with a static window") {
		t.Errorf("static notes = %q, want the static variant without the suggestion", r.Notes)
	}
}

func TestBuildReportTLS(t *testing.T) {
	m := h2cMeasurement(t)
	m.cfg.TLS = tlsConfigForTest()
	m.win.TLSIn.Bytes = 5500
	m.win.TLSIn.Records[wire.RecordApplicationData] = 100
	m.win.TLSIn.Payload[wire.RecordApplicationData] = 5000
	m.tcp.BytesReceived = 5500
	m.tcp.AppRead = 5500
	m.tcp.ConnRead = 5500
	r := buildReport(m)
	if r.Bytes.TLSOverheadInPerHeartbeat != 22 || r.Bytes.SocketInPerHeartbeat != 55 || r.Bytes.IPPerHeartbeat != 107 {
		t.Errorf("TLS overhead %v socket in %v ip %v, want 22 55 107",
			r.Bytes.TLSOverheadInPerHeartbeat, r.Bytes.SocketInPerHeartbeat, r.Bytes.IPPerHeartbeat)
	}
	if r.TLS == nil || r.TLS.RecordsInPerHeartbeat != 1 {
		t.Errorf("tls report = %+v, want 1 record per heartbeat", r.TLS)
	}
	if got, want := r.Projection.ModelBytesPerClientDay, 107.0*5760; got != want {
		t.Errorf("model_bytes_per_client_day = %v, want %v", got, want)
	}
}

func TestBuildReportNoHeartbeats(t *testing.T) {
	m := h2cMeasurement(t)
	m.win = counters{}
	m.tcp = tcpTotals{}
	r := buildReport(m)
	if r.Bytes.IPPerHeartbeat != 0 || r.Projection.BytesPerClientDay != 0 {
		t.Errorf("ip_per_heartbeat %v bytes_per_client_day %v, want 0 0", r.Bytes.IPPerHeartbeat, r.Projection.BytesPerClientDay)
	}
	if !hasNote(r, "No heartbeat arrived") {
		t.Errorf("notes = %q, want one saying no heartbeat arrived", r.Notes)
	}
}

func TestBuildReportMemory(t *testing.T) {
	m := h2cMeasurement(t)
	m.memBefore = memSample{RSS: 10 << 20, HeapBytes: 1 << 20, StackBytes: 64 << 10, Goroutines: 10}
	m.memAfter = memSample{RSS: 10<<20 + 10*40960, HeapBytes: 1<<20 + 10*20480, StackBytes: 64<<10 + 10*8192, Goroutines: 10 + 10*11}
	m.connectionsOpened = 10
	m.srvBefore = &serverSample{RSS: 1e6, HasRSS: true, ActiveStreams: 5, HasActiveStreams: true, Goroutines: 20, HasGoroutines: true}
	m.srvAfter = &serverSample{RSS: 1e6 + 10*3000, HasRSS: true, ActiveStreams: 15, HasActiveStreams: true, Goroutines: 40, HasGoroutines: true}
	r := buildReport(m)
	got := [5]float64{r.Memory.ClientBytesPerStream, r.Memory.ClientHeapPerStream, r.Memory.ClientStackPerStream,
		r.Memory.ClientGoroutinesPerStream, r.Memory.ServerBytesPerStream}
	want := [5]float64{40960, 20480, 8192, 11, 3000}
	if got != want {
		t.Errorf("memory [client rss heap stack goroutines, server rss] per stream = %v, want %v", got, want)
	}
	if r.Memory.ServerGoroutinesPerStream != 2 || r.Memory.ServerHeapPerStream != 0 {
		t.Errorf("server goroutines %v heap %v per stream, want 2 and 0 (no heap metric)", r.Memory.ServerGoroutinesPerStream, r.Memory.ServerHeapPerStream)
	}
}

func hasNote(r *Report, sub string) bool {
	for _, n := range r.Notes {
		if strings.Contains(n, sub) {
			return true
		}
	}
	return false
}

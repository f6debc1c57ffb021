package report_test

import (
	"math"
	"strings"
	"testing"

	"galaxy/galaxyctl/internal/loadgen/report"
	"galaxy/galaxyctl/internal/loadgen/report/reporttest"
	"galaxy/galaxyctl/internal/loadgen/wire"
)

func TestBuildReportArithmetic(t *testing.T) {
	r := report.Build(reporttest.H2C())
	checks := []struct {
		name string
		got  report.Figure
		want float64
	}{
		{"protobuf_per_heartbeat", r.Bytes.ProtobufPerHeartbeat, 19},
		{"grpc_prefix_per_heartbeat", r.Bytes.GRPCPrefixPerHeartbeat, 5},
		{"http2_frame_header_per_heartbeat", r.Bytes.HTTP2FrameHeaderPerHeartbeat, 9},
		{"http2_per_heartbeat", r.Bytes.HTTP2PerHeartbeat, 33},
		{"socket_in_per_heartbeat", r.Bytes.SocketInPerHeartbeat, 33},
		{"ip_in_per_heartbeat", r.Bytes.IPInPerHeartbeat, 85},
		{"ip_per_heartbeat", r.Bytes.IPPerHeartbeat, 85},
		{"segments.per_heartbeat", r.Segments.PerHeartbeat, 1},
		{"segments.header_bytes_per_segment", report.Figure(r.Segments.HeaderBytesPerSegment), 52},
		{"heartbeats.per_second", r.Heartbeats.PerSecond, 100.0 / 150},
		{"projection.heartbeats_per_client_day", report.Figure(r.Projection.HeartbeatsPerClientDay), 5760},
		// 85 bytes every 15s: 85 × 5760.
		{"projection.bytes_per_client_day", r.Projection.BytesPerClientDay, 489_600},
		{"projection.model_bytes_per_client_day", report.Figure(r.Projection.ModelBytesPerClientDay), 489_600},
	}
	for _, c := range checks {
		if math.Abs(float64(c.got)-c.want) > 1e-9 {
			t.Errorf("report.Build() %s = %v, want %v", c.name, c.got, c.want)
		}
	}
	wantScales := []report.ScaleRow{
		{Clients: 10_000, BytesPerDay: 4.896e9, MbitPerS: 4.896e9 * 8 / 86400 / 1e6},
		{Clients: 100_000, BytesPerDay: 4.896e10, MbitPerS: 4.896e10 * 8 / 86400 / 1e6},
		{Clients: 1_000_000, BytesPerDay: 4.896e11, MbitPerS: 4.896e11 * 8 / 86400 / 1e6},
	}
	if len(r.Projection.Scales) != len(wantScales) {
		t.Fatalf("projection.scales = %v, want %v", r.Projection.Scales, wantScales)
	}
	for i, w := range wantScales {
		g := r.Projection.Scales[i]
		if g.Clients != w.Clients || math.Abs(float64(g.BytesPerDay-w.BytesPerDay)) > 1e-3 || math.Abs(float64(g.MbitPerS-w.MbitPerS)) > 1e-9 {
			t.Errorf("projection.scales[%d] = %+v, want %+v", i, g, w)
		}
	}
	if got := float64(r.Projection.Scales[0].MbitPerS); math.Abs(got-0.45333333) > 1e-6 {
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

func TestBuildReportClientReplies(t *testing.T) {
	m := reporttest.WithReplies(reporttest.H2C())
	r := report.Build(m)
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
	if !hasNote(r, "Profile grpc-go-static") {
		t.Errorf("notes = %q, want one suggesting Profile grpc-go-static", r.Notes)
	}

	m.Config.ClientWindow = report.WindowStatic
	r = report.Build(m)
	if hasNote(r, "Rerun with Profile grpc-go-static") || !hasNote(r, "Even with a static window") {
		t.Errorf("static notes = %q, want the static variant without the suggestion", r.Notes)
	}
}

func TestBuildReportTLS(t *testing.T) {
	m := reporttest.H2C()
	m.Config.TLS = true
	m.Counters.TLSIn.Bytes = 5500
	m.Counters.TLSIn.Records[wire.RecordApplicationData] = 100
	m.Counters.TLSIn.Payload[wire.RecordApplicationData] = 5000
	m.TCP.BytesReceived = 5500
	m.TCP.AppRead = 5500
	m.TCP.ConnRead = 5500
	r := report.Build(m)
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
	m := reporttest.H2C()
	m.Counters = report.Counters{}
	m.TCP = report.TCPTotals{}
	r := report.Build(m)
	if r.Bytes.IPPerHeartbeat.OK() || r.Projection.BytesPerClientDay.OK() || r.Segments.PerHeartbeat.OK() {
		t.Errorf("ip_per_heartbeat %v bytes_per_client_day %v segments %v, want all missing",
			r.Bytes.IPPerHeartbeat, r.Projection.BytesPerClientDay, r.Segments.PerHeartbeat)
	}
	if !r.Heartbeats.PerSecond.OK() || r.Heartbeats.PerSecond != 0 {
		t.Errorf("heartbeats.per_second = %v, want 0: the window was measured", r.Heartbeats.PerSecond)
	}
	if !hasNote(r, "No heartbeat arrived") {
		t.Errorf("notes = %q, want one saying no heartbeat arrived", r.Notes)
	}
}

func TestBuildReportMemory(t *testing.T) {
	m := reporttest.H2C()
	m.MemBefore = report.MemSample{RSS: 10 << 20, HeapBytes: 1 << 20, StackBytes: 64 << 10, Goroutines: 10}
	m.MemAfter = report.MemSample{RSS: 10<<20 + 10*40960, HeapBytes: 1<<20 + 10*20480, StackBytes: 64<<10 + 10*8192, Goroutines: 10 + 10*11}
	m.ConnectionsOpened = 10
	m.ServerBefore = &report.ServerSample{RSS: 1e6, HasRSS: true, ActiveStreams: 5, HasActiveStreams: true, Goroutines: 20, HasGoroutines: true}
	m.ServerAfter = &report.ServerSample{RSS: 1e6 + 10*3000, HasRSS: true, ActiveStreams: 15, HasActiveStreams: true, Goroutines: 40, HasGoroutines: true}
	r := report.Build(m)
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

func hasNote(r *report.Report, sub string) bool {
	for _, n := range r.Notes {
		if strings.Contains(n.String(), sub) {
			return true
		}
	}
	return false
}

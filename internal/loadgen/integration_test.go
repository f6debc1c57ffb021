package loadgen

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"galaxy/galaxyctl/internal/backoff"
	"galaxy/galaxyctl/internal/loadgen/probe"
	"galaxy/galaxyctl/internal/loadgen/report"
	"galaxy/galaxyctl/internal/loadgen/wire"
)

const (
	testInterval = 50 * time.Millisecond
	testClients  = 20
)

// fakeMetrics serves a /metrics whose second scrape shows 20 more streams
// and 20 × 5000 more bytes of RSS than the first.
func fakeMetrics(t *testing.T) string {
	var scrapes atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n := scrapes.Add(1) - 1
		streams := n * testClients
		fmt.Fprintf(w, "# HELP process_resident_memory_bytes Resident memory size in bytes.\n")
		fmt.Fprintf(w, "# TYPE process_resident_memory_bytes gauge\n")
		fmt.Fprintf(w, "process_resident_memory_bytes %d\n", 10_000_000+streams*5000)
		fmt.Fprintf(w, "go_memstats_heap_inuse_bytes %d\n", 4_000_000+streams*2000)
		fmt.Fprintf(w, "go_goroutines %d\n", 10+streams*2)
		fmt.Fprintf(w, "galaxy_gateway_active_streams{role=\"gateway\"} %d\n", streams)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/metrics"
}

// snapshots collects what OnSnapshot receives.
type snapshots struct {
	mu  sync.Mutex
	all []Snapshot
}

func (s *snapshots) add(snap Snapshot) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.all = append(s.all, snap)
}

func (s *snapshots) get() []Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Snapshot(nil), s.all...)
}

func runStub(t *testing.T, cfg Config) *report.Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rep, err := Run(ctx, cfg)
	if err != nil {
		t.Fatalf("Run() error = %v", err)
	}
	return rep
}

func baseConfig(addr string) Config {
	return Config{
		Addr:    addr,
		Clients: testClients,
		// Heartbeats of all streams come in bursts every interval; start
		// and end the window between bursts.
		Warmup:           225 * time.Millisecond,
		Duration:         690 * time.Millisecond,
		ExpectedInterval: testInterval,
		SnapshotEvery:    20 * time.Millisecond,
		LiveEvery:        40 * time.Millisecond,
	}
}

func checkConnected(t *testing.T, rep *report.Report) {
	t.Helper()
	if rep.Clients.Connected != testClients || rep.Clients.Failed != 0 {
		t.Errorf("Run() clients connected %d failed %d, want %d 0", rep.Clients.Connected, rep.Clients.Failed, testClients)
	}
	// 20 clients for 700ms at 50ms: about 280 heartbeats.
	if rep.Heartbeats.Received < 100 || rep.Heartbeats.OnWire < 100 {
		t.Errorf("Run() heartbeats received %d on wire %d, want at least 100", rep.Heartbeats.Received, rep.Heartbeats.OnWire)
	}
	if rep.Bytes.ProtobufPerHeartbeat != 19 {
		t.Errorf("Run() protobuf_per_heartbeat = %v, want 19", rep.Bytes.ProtobufPerHeartbeat)
	}
	if rep.Bytes.ResidualIn != 0 || rep.Bytes.ResidualOut != 0 {
		t.Errorf("Run() residual in %d out %d, want 0 0", rep.Bytes.ResidualIn, rep.Bytes.ResidualOut)
	}
	if p50 := rep.Heartbeats.GapP50MS; p50 < 45 || p50 > 80 {
		t.Errorf("Run() gap_p50_ms = %v, want about 50", p50)
	}
	if len(rep.Errors.Streams) != 0 {
		t.Errorf("Run() stream errors = %v, want none", rep.Errors.Streams)
	}
}

func TestRunStatic(t *testing.T) {
	t.Parallel()
	addr := startStub(t, testInterval)
	var snaps snapshots
	cfg := baseConfig(addr)
	cfg.ClientWindow = WindowStatic
	cfg.ServerMetricsURL = fakeMetrics(t)
	cfg.OnSnapshot = snaps.add
	rep := runStub(t, cfg)

	checkConnected(t, rep)
	if rep.Bytes.HTTP2PerHeartbeat != 33 {
		t.Errorf("Run(static) http2_per_heartbeat = %v, want 33", rep.Bytes.HTTP2PerHeartbeat)
	}
	if rep.Bytes.SocketInPerHeartbeat < 33 {
		t.Errorf("Run(static) socket_in_per_heartbeat = %v, want >= 33", rep.Bytes.SocketInPerHeartbeat)
	}
	if rep.Bytes.ClientRepliesPerHeartbeat != 0 {
		t.Errorf("Run(static) client_replies_per_heartbeat = %v, want 0", rep.Bytes.ClientRepliesPerHeartbeat)
	}
	if probe.TCPInfoSupported {
		ti := rep.TCPInfo
		if !ti.Available || ti.Sockets != testClients {
			t.Errorf("Run(static) tcp_info available %v sockets %d, want true %d", ti.Available, ti.Sockets, testClients)
		}
		// Read in pairs per socket, the kernel's and the counting
		// connections' bytes must agree exactly.
		if ti.PayloadDiffIn != 0 || ti.PayloadDiffOut != 0 {
			t.Errorf("Run(static) kernel vs socket bytes differ: in %+d of %d, out %+d of %d", ti.PayloadDiffIn, ti.SocketBytesIn, ti.PayloadDiffOut, ti.SocketBytesOut)
		}
		if s := rep.Segments.InPerHeartbeat; s < 0.9 || s > 1.1 {
			t.Errorf("Run(static) segments in per heartbeat = %v, want about 1", s)
		}
		if want := rep.Bytes.SocketInPerHeartbeat + rep.Bytes.SocketOutPerHeartbeat + 52*rep.Segments.PerHeartbeat; !closeTo(rep.Bytes.IPPerHeartbeat, want) {
			t.Errorf("Run(static) ip_per_heartbeat = %v, want socket bytes + 52 × segments = %v", rep.Bytes.IPPerHeartbeat, want)
		}
	}
	if got := rep.Memory.ServerBytesPerStream; got != 5000 {
		t.Errorf("Run(static) server_bytes_per_stream = %v, want 5000", got)
	}
	if got := rep.Memory.ServerGoroutinesPerStream; got != 2 {
		t.Errorf("Run(static) server_goroutines_per_stream = %v, want 2", got)
	}
	for _, n := range rep.Notes {
		if strings.Contains(n.String(), "out of step") || strings.Contains(n.String(), "ClientWindow static") {
			t.Errorf("Run(static) note %q, want none about accounting or client window", n)
		}
	}

	all := snaps.get()
	if len(all) == 0 {
		t.Fatal("OnSnapshot never called")
	}
	last := all[len(all)-1]
	if last.Phase != PhaseDone || last.Connected != testClients || last.Report != rep {
		t.Errorf("last snapshot phase %s connected %d report %p, want done %d and the report Run returned (%p)", last.Phase, last.Connected, last.Report, testClients, rep)
	}
	seen := map[Phase]bool{}
	for _, s := range all {
		seen[s.Phase] = true
	}
	if !seen[PhaseWarmup] || !seen[PhaseMeasure] {
		t.Errorf("snapshot phases seen = %v, want warmup and measure", seen)
	}
	// Snapshots count every socket byte since the start: never less than
	// before, and at the end at least the window's.
	for i := 1; i < len(all); i++ {
		if all[i].Counters.H2In.Bytes < all[i-1].Counters.H2In.Bytes {
			t.Fatalf("snapshot %d Counters.H2In.Bytes = %d, below the one before (%d)", i, all[i].Counters.H2In.Bytes, all[i-1].Counters.H2In.Bytes)
		}
	}
	if got := last.Counters.SocketIn(false); got < rep.Bytes.SocketIn || got == 0 {
		t.Errorf("last snapshot socket bytes in = %d, want at least the window's %d", got, rep.Bytes.SocketIn)
	}
}

func TestRunDynamic(t *testing.T) {
	t.Parallel()
	addr, gw := serveStub(t, &stubGateway{interval: testInterval})
	cfg := baseConfig(addr)
	cfg.ClientWindow = WindowDynamic
	cfg.StreamsPerConn = 4
	cfg.SourceAddrs = addrs("127.0.0.2", "127.0.0.3")
	rep := runStub(t, cfg)

	// Five connections, round-robin over two source addresses: 3 and 2,
	// four streams each.
	peers, users := gw.seen()
	if want := map[string]int{"127.0.0.2": 12, "127.0.0.3": 8}; fmt.Sprint(peers) != fmt.Sprint(want) || users != testClients {
		t.Errorf("server saw streams by source %v from %d users, want %v from %d", peers, users, want, testClients)
	}

	checkConnected(t, rep)
	if rep.Clients.ConnectionsOpened != testClients/4 {
		t.Errorf("Run(dynamic, 4 per conn) connections = %d, want %d", rep.Clients.ConnectionsOpened, testClients/4)
	}
	var pings uint64
	for _, f := range rep.Frames.Out {
		if f.Type == wire.KindPing.String() {
			pings = f.Frames
		}
	}
	if pings == 0 {
		t.Errorf("Run(dynamic) client PING frames = 0, want BDP pings")
	}
	found := false
	for _, n := range rep.Notes {
		found = found || strings.Contains(n.String(), "ClientWindow static")
	}
	if !found && rep.Bytes.ClientRepliesPerHeartbeat+rep.Bytes.ServerPingsPerHeartbeat > 33 {
		t.Errorf("Run(dynamic) notes = %q, want one suggesting ClientWindow static", rep.Notes)
	}
}

func TestRunTLS(t *testing.T) {
	t.Parallel()
	serverCreds, clientTLS := testTLS(t)
	addr := startStub(t, testInterval, serverCreds)
	cfg := baseConfig(addr)
	cfg.ClientWindow = WindowStatic
	cfg.TLS = clientTLS
	rep := runStub(t, cfg)

	checkConnected(t, rep)
	if rep.Bytes.HTTP2PerHeartbeat != 33 {
		t.Errorf("Run(TLS) http2_per_heartbeat = %v, want 33", rep.Bytes.HTTP2PerHeartbeat)
	}
	// One TLS 1.3 record per heartbeat: 5 + 1 + 16. A record read at the
	// window's edge but not yet decrypted can shift a few bytes.
	if got := rep.Bytes.TLSOverheadInPerHeartbeat; got < 21.5 || got > 22.5 {
		t.Errorf("Run(TLS) tls_overhead_in_per_heartbeat = %v, want 22", got)
	}
	if rep.TLS == nil || rep.Bytes.TLSResidualIn != 0 {
		t.Errorf("Run(TLS) tls report %v residual in %d, want a report and 0", rep.TLS, rep.Bytes.TLSResidualIn)
	}
}

func TestRunStreamsEnd(t *testing.T) {
	t.Parallel()
	addr, _ := serveStub(t, &stubGateway{
		interval: 10 * time.Millisecond,
		endAfter: 2,
		endErr:   status.Error(codes.ResourceExhausted, "too slow"),
	})
	cfg := baseConfig(addr)
	cfg.Clients = 5
	cfg.Warmup = 100 * time.Millisecond
	cfg.Duration = 100 * time.Millisecond
	rep := runStub(t, cfg)
	if rep.Clients.Connected != 5 || rep.Clients.StreamsEnded != 5 || rep.Errors.Streams["ResourceExhausted"] != 5 {
		t.Errorf("Run(streams end) connected %d ended %d errors %v, want 5 5 map[ResourceExhausted:5]",
			rep.Clients.Connected, rep.Clients.StreamsEnded, rep.Errors.Streams)
	}
	if !hasNote(rep, "5 streams ended before the run did (ResourceExhausted 5)") || !hasNote(rep, "No heartbeat arrived") {
		t.Errorf("Run(streams end) notes = %q, want ones on ended streams and no heartbeats", rep.Notes)
	}
}

func TestRunInterrupted(t *testing.T) {
	t.Parallel()
	addr := startStub(t, testInterval)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cfg := baseConfig(addr)
	cfg.RampRate = 200 // 20 clients: about 95ms
	cfg.Warmup = -1
	cfg.Duration = time.Minute
	cfg.OnSnapshot = func(s Snapshot) {
		if s.ReportPhase == PhaseMeasure && s.Report.Heartbeats.OnWire >= testClients {
			cancel()
		}
	}
	rep, err := Run(ctx, cfg)
	if !errors.Is(err, context.Canceled) || rep == nil {
		t.Fatalf("Run(cancelled while measuring) = %v, %v, want a report and context.Canceled", rep, err)
	}
	if !rep.Interrupted || rep.Heartbeats.OnWire < testClients || rep.Durations.MeasureMS >= 60_000 {
		t.Errorf("Run(cancelled) interrupted %v heartbeats %d measured %vms, want true, >= %d, < 60000",
			rep.Interrupted, rep.Heartbeats.OnWire, rep.Durations.MeasureMS, testClients)
	}
	if rep.Durations.RampMS < 90 {
		t.Errorf("Run(ramp rate 200/s) ramp took %vms, want at least 90ms for 20 clients", rep.Durations.RampMS)
	}
	if !hasNote(rep, "interrupted") {
		t.Errorf("Run(cancelled) notes = %q, want one saying so", rep.Notes)
	}
}

func TestRunNoServer(t *testing.T) {
	t.Parallel()
	// Nothing listens on port 1: connects are refused.
	cfg := baseConfig("127.0.0.1:1")
	cfg.Clients = 3
	cfg.ConnectBackoff = BackoffConfig{Config: backoff.Config{Base: time.Millisecond, Multiplier: 1, Max: time.Millisecond}, MaxAttempts: 2}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rep, err := Run(ctx, cfg)
	if err == nil || rep != nil {
		t.Fatalf("Run(no server) = %v, %v, want no report and an error", rep, err)
	}
	if !strings.Contains(err.Error(), "all 3 failed after 2 attempts") || !strings.Contains(err.Error(), "Unavailable 6") {
		t.Errorf("Run(no server) error = %q, want it to count 3 clients, 2 attempts, 6 Unavailable", err)
	}
}

func closeTo(a, b report.Figure) bool {
	d := a - b
	return d < 1e-9 && d > -1e-9
}

// hasNote reports whether a note of r, in Config's words, holds sub.
func hasNote(r *report.Report, sub string) bool {
	for _, n := range r.Notes {
		if strings.Contains(n.String(), sub) {
			return true
		}
	}
	return false
}

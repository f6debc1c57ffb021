package loadgen

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"galaxy/galaxyctl/internal/loadgen/probe"
)

func TestNextLiveWait(t *testing.T) {
	for _, c := range []struct {
		every, cost, want time.Duration
	}{
		{time.Second, 0, time.Second},
		{time.Second, 50 * time.Millisecond, time.Second},
		{time.Second, 100 * time.Millisecond, time.Second},
		{time.Second, 300 * time.Millisecond, 3 * time.Second}, // 100,000 sockets
	} {
		if got := nextLiveWait(c.every, c.cost); got != c.want {
			t.Errorf("nextLiveWait(%v, %v) = %v, want %v", c.every, c.cost, got, c.want)
		}
	}
}

// The live view is fed measured figures: while the window runs, each
// snapshot's report has TCP_INFO's segments and IP bytes and the server's
// memory per stream, rebuilt (and the server scraped) at most every
// LiveEvery; the last snapshot carries the report Run returns. The test
// ends the run once a live report of the window has arrived, however long
// a loaded machine takes to build one.
func TestRunLiveReport(t *testing.T) {
	t.Parallel()
	addr := startStub(t, testInterval)
	var scrapes atomic.Int64
	metrics := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n := scrapes.Add(1)
		fmt.Fprintf(w, "process_resident_memory_bytes %d\ngalaxy_gateway_active_streams %d\n", 10_000_000+n*100_000, n)
	}))
	t.Cleanup(metrics.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var snaps snapshots
	cfg := baseConfig(addr)
	cfg.ClientWindow = WindowStatic
	cfg.ServerMetricsURL = metrics.URL
	cfg.Duration = time.Minute
	cfg.LiveEvery = 100 * time.Millisecond
	cfg.OnSnapshot = func(s Snapshot) {
		snaps.add(s)
		// A heartbeat that sat in a socket's receive queue when the
		// window opened is read inside it but was counted by TCP_INFO
		// before it, so the first live report may have bytes and no
		// segments yet: wait for one with both.
		if s.ReportPhase == PhaseMeasure && s.Report.Heartbeats.OnWire > 0 &&
			(!probe.TCPInfoSupported || s.Report.Segments.PerHeartbeat > 0) {
			cancel()
		}
	}
	rep, err := Run(ctx, cfg)
	if !errors.Is(err, context.Canceled) || rep == nil {
		t.Fatalf("Run() = %v, %v, want a report, ended once a live report of the window came", rep, err)
	}

	all := snaps.get()
	var live, kernel int
	for _, s := range all {
		// One formula, one source: after the ramp the live rate is the
		// report's.
		if (s.Phase == PhaseWarmup || s.Phase == PhaseMeasure) && s.RampRate != rep.Clients.RampRateAchieved {
			t.Errorf("snapshot in the %s: ramp rate %v, want the report's %v", s.Phase, s.RampRate, rep.Clients.RampRateAchieved)
		}
	}
	for _, s := range all[:len(all)-1] {
		if s.Report == nil || s.ReportPhase != PhaseMeasure {
			continue
		}
		live++
		r := s.Report
		if probe.TCPInfoSupported && (!r.TCPInfo.Available || !r.Segments.PerHeartbeat.OK()) {
			t.Errorf("live report: tcp_info available %v, segments/hb %v, want TCP_INFO read", r.TCPInfo.Available, r.Segments.PerHeartbeat)
		}
		if r.Segments.PerHeartbeat > 0 && r.Bytes.IPPerHeartbeat > r.Bytes.SocketInPerHeartbeat {
			kernel++
		}
		if !r.Memory.ServerAvailable || r.Memory.ServerBytesPerStream <= 0 {
			t.Errorf("live report: server memory available %v, per stream %v, want the server's", r.Memory.ServerAvailable, r.Memory.ServerBytesPerStream)
		}
	}
	if live == 0 {
		t.Fatalf("no snapshot carried a live report of the window (%d snapshots)", len(all))
	}
	if probe.TCPInfoSupported && kernel == 0 {
		t.Errorf("none of %d live reports of the window had segments and IP bytes from TCP_INFO", live)
	}
	// Two scrapes bracket the warm-up; the live ones come at most every
	// LiveEvery over the run.
	total := time.Duration(rep.Durations.TotalMS * float64(time.Millisecond))
	if n, most := scrapes.Load(), int64(total/cfg.LiveEvery)+1+2; n > most {
		t.Errorf("server scraped %d times in %v, want at most %d (once per %v)", n, total, most, cfg.LiveEvery)
	}
	if last := all[len(all)-1]; last.Report != rep || last.RampRate != rep.Clients.RampRateAchieved {
		t.Errorf("last snapshot report %p ramp rate %v, want the report Run returned (%p) and its rate %v",
			last.Report, last.RampRate, rep, rep.Clients.RampRateAchieved)
	}
}

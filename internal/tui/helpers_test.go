package tui

import (
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"galaxy/galaxyctl/internal/loadgen"
	"galaxy/galaxyctl/internal/loadgen/report"
	"galaxy/galaxyctl/internal/loadgen/report/reporttest"
	"galaxy/galaxyctl/internal/loadgen/wire"
)

// liveMeasurement is the window of a run of 10,000 clients so far, with
// grpc-go's dynamic window (288 IP bytes per heartbeat), bench's memory
// and the server's, and heartbeat gaps in three bars.
func liveMeasurement(tls bool) report.Measurement {
	m := reporttest.WithReplies(reporttest.H2C())
	m.Config.Clients, m.Config.TLS = 10_000, tls
	m.Config.ServerMetricsURL = "http://127.0.0.1:9090/metrics"
	m.Connected, m.Failed, m.Ended, m.ConnectFailures, m.ConnectionsOpened = 9_800, 2, 10, 3, 9_800
	m = reporttest.Memory(m)
	m.MemAfter.RSS = 412 << 20
	m.ServerBefore = &report.ServerSample{RSS: 20e6, HasRSS: true, Heap: 4e6, HasHeap: true, ActiveStreams: 0, HasActiveStreams: true}
	m.ServerAfter = &report.ServerSample{RSS: 20e6 + 9_800*35_000, HasRSS: true, Heap: 40e6, HasHeap: true, ActiveStreams: 9_800, HasActiveStreams: true}
	if tls {
		m.Counters.TLSIn.Bytes = m.Counters.H2In.Bytes + 22*m.Counters.H2In.Heartbeats
		m.Counters.TLSIn.Records[wire.RecordApplicationData] = m.Counters.H2In.Heartbeats
		m.Counters.TLSIn.Payload[wire.RecordApplicationData] = m.Counters.TLSIn.Bytes - 5*m.Counters.H2In.Heartbeats
		m.Counters.TLSOut.Bytes = m.Counters.H2Out.Bytes
	}
	m.Gaps.Histogram.Record(14_500 * time.Millisecond)
	m.Gaps.Histogram.Record(16 * time.Second)
	m.Window = 55 * time.Second
	return m
}

// fullSnapshot is a run in its measurement window with every section
// filled: what the views, goldens and benchmark render.
func fullSnapshot() loadgen.Snapshot {
	m := liveMeasurement(false)
	return loadgen.Snapshot{
		Phase:            loadgen.PhaseMeasure,
		Elapsed:          3*time.Minute + 10*time.Second,
		PhaseElapsed:     55 * time.Second,
		PhaseLength:      2 * time.Minute,
		Config:           m.Config,
		Target:           10_000,
		Connected:        9_800,
		Failed:           2,
		Active:           9_790,
		Ended:            10,
		ConnectFailures:  3,
		Connections:      9_800,
		RampRate:         812.5,
		Heartbeats:       1_234_567,
		HeartbeatsPerSec: 653.25,
		BytesInPerSec:    21_557.25,
		BytesOutPerSec:   1_204.5,
		Report:           report.Build(m),
		ReportPhase:      loadgen.PhaseMeasure,
		ConnectErrors:    map[string]uint64{"Unavailable": 3, "DeadlineExceeded": 1},
		StreamErrors:     map[string]uint64{"ResourceExhausted": 10},
	}
}

// withTLS is s over TLS.
func withTLS(s loadgen.Snapshot) loadgen.Snapshot {
	m := liveMeasurement(true)
	s.Config, s.Report = m.Config, report.Build(m)
	return s
}

// withBuckets is s with the live report's gap histogram replaced by bs.
func withBuckets(s loadgen.Snapshot, bs []report.GapBucketReport) loadgen.Snapshot {
	r := *s.Report
	r.Heartbeats.GapBuckets = bs
	s.Report = &r
	return s
}

// manyBuckets is a histogram over all of the report's display bounds (1-2-5
// steps from 1 ms to 5000 s) and the overflow: 22 bars, for the height
// budget.
func manyBuckets() []report.GapBucketReport {
	var bs []report.GapBucketReport
	for ms := 1.0; ms <= 1_000_000; ms *= 10 {
		bs = append(bs, report.GapBucketReport{UpperMS: ms, Count: 3}, report.GapBucketReport{UpperMS: 2 * ms, Count: 5},
			report.GapBucketReport{UpperMS: 5 * ms, Count: 7})
	}
	return append(bs, report.GapBucketReport{UpperMS: -1, Count: 1})
}

// sized returns m after a WindowSizeMsg.
func sized(m Model, w, h int) Model {
	next, _ := m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	return next.(Model)
}

// fed returns m after a SnapshotMsg.
func fed(m Model, s loadgen.Snapshot) Model {
	next, _ := m.Update(SnapshotMsg(s))
	return next.(Model)
}

// lineWith returns the first line of view holding substr.
func lineWith(view, substr string) string {
	for l := range strings.SplitSeq(view, "\n") {
		if strings.Contains(l, substr) {
			return l
		}
	}
	return ""
}

func testOptions() Options {
	return Options{Target: "127.0.0.1:7070"}
}

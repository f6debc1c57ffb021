package tui

import (
	"math"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"galaxy/galaxyctl/internal/loadgen"
	"galaxy/galaxyctl/internal/loadgen/report"
)

// estimate is the engine's live projection of s: socket bytes both ways
// and one segment's headers.
func estimate(s loadgen.Snapshot) loadgen.Snapshot {
	l := s.PerHeartbeat
	s.Projection = report.Project(report.Figure(l.SocketIn+l.SocketOut+s.Model.TCPIP), 15*time.Second, s.Config.Scales, s.Model)
	return s
}

// withTLS is s over TLS.
func withTLS(s loadgen.Snapshot) loadgen.Snapshot {
	s.Config.TLS, s.Model = true, report.ModelFor(true)
	return estimate(s)
}

// fullSnapshot is a run in its measurement window with every section
// filled: what the views, goldens and benchmark render.
func fullSnapshot() loadgen.Snapshot {
	return estimate(loadgen.Snapshot{
		Phase:            loadgen.PhaseMeasure,
		Elapsed:          3*time.Minute + 10*time.Second,
		PhaseElapsed:     55 * time.Second,
		PhaseLength:      2 * time.Minute,
		Target:           10_000,
		Connected:        9_800,
		Failed:           2,
		Active:           9_790,
		Ended:            10,
		ConnectFailures:  3,
		Connections:      9_800,
		Heartbeats:       1_234_567,
		HeartbeatsPerSec: 653.25,
		BytesInPerSec:    21_557.25,
		BytesOutPerSec:   1_204.5,
		PerHeartbeat: loadgen.LiveLayers{
			Heartbeats:       130_512,
			Protobuf:         19,
			GRPCPrefix:       5,
			HTTP2FrameHeader: 9,
			HTTP2In:          33,
			HTTP2Out:         0.12,
			ClientReplies:    0.12,
			ServerPings:      0,
			SocketIn:         33,
			SocketOut:        0.12,
		},
		Gaps: loadgen.GapSnapshot{
			Interval:       15 * time.Second,
			IntervalSource: "expected",
			Count:          130_512,
			P50:            15_001 * time.Millisecond,
			P99:            15_020 * time.Millisecond,
			Max:            15_100 * time.Millisecond,
			Late:           1,
			Missed:         0,
			Buckets: []report.GapBucket{
				{Upper: 10 * time.Second, Count: 12},
				{Upper: 20 * time.Second, Count: 130_499},
				{Upper: 50 * time.Second, Count: 1},
			},
		},
		Config: report.ConfigEcho{
			Addr: "127.0.0.1:7070", Clients: 10_000, ClientWindow: "dynamic",
			ProjectIntervalMS: 15_000, Scales: []int{10_000, 100_000, 1_000_000},
		},
		Model: report.ModelFor(false),
		Memory: loadgen.MemorySnapshot{
			RSS:            412 << 20,
			Heap:           180 << 20,
			Goroutines:     20_012,
			BytesPerStream: 41_200,
		},
		ConnectErrors: map[string]uint64{"Unavailable": 3, "DeadlineExceeded": 1},
		StreamErrors:  map[string]uint64{"ResourceExhausted": 10},
	})
}

// manyBuckets is a histogram over all of loadgen's display bounds (1-2-5
// steps from 1 ms to 5000 s) and the overflow: 22 bars, for the height
// budget.
func manyBuckets() []report.GapBucket {
	var bs []report.GapBucket
	for d := time.Millisecond; d <= 1000*time.Second; d *= 10 {
		bs = append(bs, report.GapBucket{Upper: d, Count: 3}, report.GapBucket{Upper: 2 * d, Count: 5}, report.GapBucket{Upper: 5 * d, Count: 7})
	}
	return append(bs, report.GapBucket{Upper: time.Duration(math.MaxInt64), Count: 1})
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

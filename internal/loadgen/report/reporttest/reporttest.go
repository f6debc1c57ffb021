// Package reporttest builds Measurements by hand for the tests of the
// report, its printers and the live view: small runs whose figures are
// known exactly.
package reporttest

import (
	"time"

	"galaxy/galaxyctl/internal/loadgen/report"
	"galaxy/galaxyctl/internal/loadgen/wire"
)

// Config is a run of 10 clients against 127.0.0.1:7070 (h2c, dynamic
// window, heartbeat expected every 15 s) with its defaults filled in.
func Config() report.ConfigEcho {
	return report.ConfigEcho{
		Addr:               "127.0.0.1:7070",
		Clients:            10,
		StreamsPerConn:     1,
		Connections:        10,
		SourceAddrs:        []string{},
		WarmupMS:           2000,
		DurationMS:         30000,
		ClientWindow:       report.WindowDynamic,
		ExpectedIntervalMS: 15000,
		ProjectIntervalMS:  15000,
		Scales:             []int{10_000, 100_000, 1_000_000},
	}
}

// H2C is 100 heartbeats of the model exactly, over a 150 s window: each a
// 33-byte DATA frame in one segment, and nothing else on the wire.
func H2C() report.Measurement {
	m := report.Measurement{
		Config:             Config(),
		ConnectMaxAttempts: 5,
		TCPInfoSupported:   true,
		Ramp:               time.Second,
		Warmup:             2 * time.Second,
		Window:             150 * time.Second,
		Total:              153 * time.Second,
		Connected:          10,
		ConnectionsOpened:  10,
		Heartbeats:         100,
	}
	in := &m.Counters.H2In
	in.Heartbeats, in.Messages = 100, 100
	in.HeartbeatBytes, in.MessageBytes = 1900, 1900
	in.GRPCPrefix = 500
	in.Frames[wire.KindData], in.Payload[wire.KindData] = 100, 2400
	in.Bytes = 3300
	m.TCP = report.TCPTotals{Sockets: 10, SegsIn: 100, DataSegsIn: 100, BytesReceived: 3300,
		AppRead: 3300, ConnRead: 3300, HeaderBytesIn: 5200}
	m.Gaps = report.Gaps{Interval: 15 * time.Second, IntervalSource: report.IntervalExpected}
	for range 90 {
		m.Gaps.Histogram.Record(15 * time.Second)
	}
	return m
}

// WithReplies adds what grpc-go's dynamic window sends per heartbeat: a
// connection WINDOW_UPDATE and a BDP PING out, the PING ack in, and the
// segments they take. H2C with replies costs 288 IP bytes per heartbeat.
func WithReplies(m report.Measurement) report.Measurement {
	n := m.Counters.H2In.Heartbeats
	out := &m.Counters.H2Out
	out.Frames[wire.KindWindowUpdate], out.Payload[wire.KindWindowUpdate] = n, 4*n
	out.Frames[wire.KindPing], out.Payload[wire.KindPing] = n, 8*n
	out.Bytes = 30 * n
	in := &m.Counters.H2In
	in.Frames[wire.KindPingAck], in.Payload[wire.KindPingAck] = n, 8*n
	in.Bytes += 17 * n
	t := &m.TCP
	t.SegsIn += n
	t.DataSegsIn += n
	t.HeaderBytesIn += 52 * n
	t.BytesReceived += 17 * n
	t.AppRead += 17 * n
	t.ConnRead += 17 * n
	t.SegsOut += 2 * n
	t.DataSegsOut += n
	t.HeaderBytesOut += 104 * n
	t.BytesAcked += 30 * n
	t.AppWritten += 30 * n
	t.ConnWritten += 30 * n
	return m
}

// Memory sets bench's memory to grow by 40 KiB of RSS per stream.
func Memory(m report.Measurement) report.Measurement {
	m.MemBefore = report.MemSample{RSS: 10 << 20, HeapBytes: 1 << 20, StackBytes: 64 << 10, Goroutines: 10}
	n := uint64(m.Connected)
	m.MemAfter = report.MemSample{RSS: 10<<20 + n*40960, HeapBytes: 1<<20 + n*20480,
		StackBytes: 64<<10 + n*8192, Goroutines: 10 + n*11}
	return m
}

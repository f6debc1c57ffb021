package report

import (
	"time"

	"galaxy/galaxyctl/internal/loadgen/wire"
)

// Phase is where a run is.
type Phase string

// Phases, in order.
const (
	PhaseRamp    Phase = "ramp"
	PhaseWarmup  Phase = "warmup"
	PhaseMeasure Phase = "measure"
	PhaseDone    Phase = "done"
)

// Measurement is everything a report is computed from, reduced to the
// measurement window: plain data with no reference to a running engine,
// so it can be kept, shipped as JSON and built into a Report anywhere.
type Measurement struct {
	// Config is the run's configuration, defaults filled in.
	Config ConfigEcho `json:"config"`
	// ConnectMaxAttempts is how many times a client tried to connect
	// before it counted as failed.
	ConnectMaxAttempts int `json:"connect_max_attempts"`
	// TCPInfoSupported is whether the measuring machine reads TCP_INFO
	// (Linux only).
	TCPInfoSupported bool `json:"tcp_info_supported"`

	StartedAt time.Time     `json:"started_at"`
	Ramp      time.Duration `json:"ramp_ns"`
	Warmup    time.Duration `json:"warmup_ns"`
	Window    time.Duration `json:"window_ns"`
	Total     time.Duration `json:"total_ns"`
	// Interrupted is the phase the run was interrupted in; empty for a run
	// that finished.
	Interrupted Phase `json:"interrupted"`

	Connected         int    `json:"connected"`
	Failed            int    `json:"failed"`
	Ended             int    `json:"ended"`
	ConnectFailures   uint64 `json:"connect_failures"`
	ConnectionsOpened int64  `json:"connections_opened"`
	// Errors by gRPC code name, with one message per connect code.
	ConnectErrors       map[string]uint64 `json:"connect_errors"`
	ConnectErrorSamples map[string]string `json:"connect_error_samples"`
	StreamErrors        map[string]uint64 `json:"stream_errors"`

	// Counters are the counting connections' deltas over the window, TCP
	// the kernel's.
	Counters Counters  `json:"counters"`
	TCP      TCPTotals `json:"tcp"`
	// Heartbeats and OtherMessages are what the client streams received in
	// the window (Counters count what the sockets carried).
	Heartbeats    uint64 `json:"heartbeats"`
	OtherMessages uint64 `json:"other_messages"`

	// Gaps are the heartbeat gaps of the window; OverdueAtEnd, Stalled and
	// Silent describe the streams at its end.
	Gaps         Gaps   `json:"gaps"`
	OverdueAtEnd uint64 `json:"overdue_at_end"`
	Stalled      int    `json:"stalled"`
	Silent       int    `json:"silent"`

	// Memory before the ramp and after the warm-up: bench's own, and the
	// server's from its /metrics when a URL is known.
	MemBefore    MemSample     `json:"mem_before"`
	MemAfter     MemSample     `json:"mem_after"`
	ServerBefore *ServerSample `json:"server_before"`
	ServerAfter  *ServerSample `json:"server_after"`
	ServerError  string        `json:"server_error"`
}

// Counters are the counting connections' byte accounting: the HTTP view
// (for TLS, the plaintext under it), HTTP/2 frames or HTTP/1.1 messages as
// the run speaks (the other stays zero), and, when TLS is on, the record
// view.
type Counters struct {
	H2In   wire.H2Stats  `json:"h2_in"`
	H2Out  wire.H2Stats  `json:"h2_out"`
	H1In   wire.H1Stats  `json:"h1_in"`
	H1Out  wire.H1Stats  `json:"h1_out"`
	TLSIn  wire.TLSStats `json:"tls_in"`
	TLSOut wire.TLSStats `json:"tls_out"`
}

// Sub returns c minus o, the delta over a window (c later than o).
func (c Counters) Sub(o Counters) Counters {
	return Counters{
		H2In:   c.H2In.Sub(&o.H2In),
		H2Out:  c.H2Out.Sub(&o.H2Out),
		H1In:   c.H1In.Sub(&o.H1In),
		H1Out:  c.H1Out.Sub(&o.H1Out),
		TLSIn:  c.TLSIn.Sub(&o.TLSIn),
		TLSOut: c.TLSOut.Sub(&o.TLSOut),
	}
}

// Add adds o to c.
func (c *Counters) Add(o *Counters) {
	c.H2In.Add(&o.H2In)
	c.H2Out.Add(&o.H2Out)
	c.H1In.Add(&o.H1In)
	c.H1Out.Add(&o.H1Out)
	c.TLSIn.Add(&o.TLSIn)
	c.TLSOut.Add(&o.TLSOut)
}

// MsgIn is the envelopes and messages the clients read, over either HTTP
// version.
func (c *Counters) MsgIn() wire.MsgStats {
	m := c.H2In.MsgStats
	m.Add(&c.H1In.MsgStats)
	return m
}

// Heartbeats is the heartbeats decoded from what the clients read: the
// divisor of every per-heartbeat figure.
func (c *Counters) Heartbeats() uint64 { return c.H2In.Heartbeats + c.H1In.Heartbeats }

// HTTPIn is the HTTP bytes the clients read (inside TLS, when on).
func (c *Counters) HTTPIn() uint64 { return c.H2In.Bytes + c.H1In.Bytes }

// HTTPOut is the HTTP bytes the clients wrote.
func (c *Counters) HTTPOut() uint64 { return c.H2Out.Bytes + c.H1Out.Bytes }

// SocketIn is the bytes read from the TCP sockets: TLS records when TLS is
// on, HTTP otherwise.
func (c *Counters) SocketIn(tls bool) uint64 {
	if tls {
		return c.TLSIn.Bytes
	}
	return c.HTTPIn()
}

// SocketOut is the bytes written to the TCP sockets.
func (c *Counters) SocketOut(tls bool) uint64 {
	if tls {
		return c.TLSOut.Bytes
	}
	return c.HTTPOut()
}

// TCPTotals sums the TCP_INFO deltas of every socket over a window, with
// the TCP/IP header bytes of each socket's segments.
type TCPTotals struct {
	Sockets        int    `json:"sockets"`       // sockets with a reading
	Failed         int    `json:"failed"`        // sockets whose TCP_INFO could not be read
	NoTimestamps   int    `json:"no_timestamps"` // sockets without the timestamp option
	SegsIn         uint64 `json:"segs_in"`
	SegsOut        uint64 `json:"segs_out"`
	DataSegsIn     uint64 `json:"data_segs_in"`
	DataSegsOut    uint64 `json:"data_segs_out"`
	BytesReceived  uint64 `json:"bytes_received"`
	BytesAcked     uint64 `json:"bytes_acked"`
	BytesSent      uint64 `json:"bytes_sent"`
	TotalRetrans   uint64 `json:"total_retrans"`
	HeaderBytesIn  uint64 `json:"header_bytes_in"`
	HeaderBytesOut uint64 `json:"header_bytes_out"`
	// AppRead and AppWritten are the kernel's view of the bytes the
	// application read and wrote: bytes received less those still unread,
	// bytes acked plus those not yet acked.
	AppRead    uint64 `json:"app_read"`
	AppWritten uint64 `json:"app_written"`
	// ConnRead and ConnWritten are the counting connections' bytes over
	// the same per-socket window.
	ConnRead    uint64 `json:"conn_read"`
	ConnWritten uint64 `json:"conn_written"`
}

// MemSample is one reading of bench's own memory.
type MemSample struct {
	RSS        uint64 `json:"rss"`         // resident set size; 0 where /proc is missing
	HeapBytes  uint64 `json:"heap_bytes"`  // bytes of live and not-yet-swept heap objects
	StackBytes uint64 `json:"stack_bytes"` // goroutine stacks
	Goroutines uint64 `json:"goroutines"`
	// KernelSocketBytes and KernelTCPSockets are the machine's TCP socket
	// memory (pages times the page size) and sockets from
	// /proc/net/sockstat; 0 where it is missing.
	KernelSocketBytes uint64 `json:"kernel_socket_bytes"`
	KernelTCPSockets  uint64 `json:"kernel_tcp_sockets"`
}

// Metric names a ServerSample is read from, on the server's Prometheus
// /metrics. The heap has two spellings: client_golang's memstats
// collector, or its runtime/metrics one; whichever is present is used.
const (
	MetricRSS           = "process_resident_memory_bytes"
	MetricHeapInuse     = "go_memstats_heap_inuse_bytes"
	MetricHeapObjects   = "go_memory_classes_heap_objects_bytes"
	MetricGoroutines    = "go_goroutines"
	MetricActiveStreams = "galaxy_gateway_active_streams"
)

// ServerSample is one scrape of the server's metrics. The Has fields say
// which of them were present.
type ServerSample struct {
	RSS              float64 `json:"rss"`
	Heap             float64 `json:"heap"`
	Goroutines       float64 `json:"goroutines"`
	ActiveStreams    float64 `json:"active_streams"`
	HeapMetric       string  `json:"heap_metric"`
	HasRSS           bool    `json:"has_rss"`
	HasHeap          bool    `json:"has_heap"`
	HasGoroutines    bool    `json:"has_goroutines"`
	HasActiveStreams bool    `json:"has_active_streams"`
}

package report

import "time"

// Report is the result of a run. Per-heartbeat figures are deltas over the
// measurement window divided by the heartbeats decoded on the wire in it
// (Heartbeats.OnWire), so bytes, frames and heartbeats come from the same
// consistent readings; they are Figures, missing (null in JSON) when the
// run has no window or no heartbeat in it. JSON keys are snake_case and
// stable.
type Report struct {
	// SchemaVersion is the version of this JSON contract (SchemaVersion):
	// readers of saved reports refuse another one.
	SchemaVersion int `json:"schema_version"`

	Config      ConfigEcho       `json:"config"`
	StartedAt   time.Time        `json:"started_at"`
	Interrupted bool             `json:"interrupted"`
	Durations   DurationsReport  `json:"durations"`
	Clients     ClientsReport    `json:"clients"`
	Heartbeats  HeartbeatsReport `json:"heartbeats"`
	Bytes       BytesReport      `json:"bytes"`
	Segments    SegmentsReport   `json:"segments"`
	TCPInfo     TCPInfoReport    `json:"tcp_info"`
	// Layers sets each measured layer beside DESIGN.md's model.
	Layers []LayerRow   `json:"layers"`
	Frames FramesReport `json:"frames"` // HTTP/2; empty arrays on HTTP/1.1
	HTTP1  *HTTP1Report `json:"http1"`  // null on HTTP/2
	TLS    *TLSReport   `json:"tls"`    // null without TLS
	Memory MemoryReport `json:"memory"`
	Errors ErrorsReport `json:"errors"`
	// Projection scales the per-heartbeat IP bytes to a fleet.
	Projection ProjectionReport `json:"projection"`
	// Timeseries is the run's live figures over time, at most
	// MaxSeriesPoints evenly spread over the run; empty when nobody
	// recorded them (the engine alone does not).
	Timeseries Timeseries `json:"timeseries"`
	// Thresholds are the pass/fail checks asked for, once checked; empty
	// when none were.
	Thresholds []ThresholdResult `json:"thresholds"`
	// Notes say in plain words what the numbers mean or where they are
	// doubtful; each is a JSON string.
	Notes []Note `json:"notes"`
}

// ConfigEcho is the configuration the run used, defaults filled in.
type ConfigEcho struct {
	Addr               string   `json:"addr"`
	Clients            int      `json:"clients"`
	StreamsPerConn     int      `json:"streams_per_conn"`
	Connections        int      `json:"connections"`
	RampRate           float64  `json:"ramp_rate"`
	SourceAddrs        []string `json:"source_addrs"`
	WarmupMS           float64  `json:"warmup_ms"`
	DurationMS         float64  `json:"duration_ms"`
	TLS                bool     `json:"tls"`
	Protocol           string   `json:"protocol"` // grpc, connect or grpc-web
	HTTP               string   `json:"http"`     // "1.1" or "2"
	Codec              string   `json:"codec"`    // proto or json
	Profile            string   `json:"profile"`  // grpc-go, grpc-go-static or browser
	Engine             string   `json:"engine"`   // lean or grpc-go
	ClientWindow       string   `json:"client_window"`
	StaticWindow       int32    `json:"static_window"` // 0 in dynamic mode
	ExpectedIntervalMS float64  `json:"expected_interval_ms"`
	ProjectIntervalMS  float64  `json:"project_interval_ms"`
	Scales             []int    `json:"scales"`
	ServerMetricsURL   string   `json:"server_metrics_url"`
}

// DurationsReport is how long each phase took.
type DurationsReport struct {
	RampMS    float64 `json:"ramp_ms"`
	WarmupMS  float64 `json:"warmup_ms"`
	MeasureMS float64 `json:"measure_ms"`
	TotalMS   float64 `json:"total_ms"`
}

// ClientsReport counts the simulated clients.
type ClientsReport struct {
	Requested int `json:"requested"`
	Connected int `json:"connected"`
	// Failed clients gave up after ConnectBackoff.MaxAttempts attempts.
	Failed int `json:"failed"`
	// ConnectFailures counts every failed attempt, retried or not.
	ConnectFailures uint64 `json:"connect_failures"`
	// StreamsEnded counts streams the server (or the network) ended
	// before the run did; Errors.Streams has them by code.
	StreamsEnded      int     `json:"streams_ended"`
	ConnectionsOpened int64   `json:"connections_opened"`
	RampRateAchieved  float64 `json:"ramp_rate_achieved"` // clients connected per second of ramp
}

// HeartbeatsReport is what arrived in the window and how regularly.
type HeartbeatsReport struct {
	// Received counts heartbeats the client streams received.
	Received uint64 `json:"received"`
	// OnWire counts heartbeats decoded from the sockets: the divisor of
	// every per-heartbeat figure. It differs from Received only by
	// heartbeats in flight at the window's edges.
	OnWire         uint64  `json:"on_wire"`
	OtherMessages  uint64  `json:"other_messages"`
	PerSecond      Figure  `json:"per_second"`
	IntervalMS     float64 `json:"interval_ms"`
	IntervalSource string  `json:"interval_source"`
	Gaps           uint64  `json:"gaps"`
	GapP50MS       float64 `json:"gap_p50_ms"`
	GapP99MS       float64 `json:"gap_p99_ms"`
	GapMaxMS       float64 `json:"gap_max_ms"`
	GapMeanMS      float64 `json:"gap_mean_ms"`
	// Late counts gaps longer than 1.5 intervals; Missed the heartbeats
	// those gaps lack (gap/interval - 1, rounded down, summed).
	Late   uint64 `json:"late"`
	Missed uint64 `json:"missed"`
	// OverdueAtEnd counts heartbeats due more than half an interval before
	// the window ended on streams that had not received them (stalled).
	OverdueAtEnd   uint64            `json:"overdue_at_end"`
	StalledStreams int               `json:"stalled_streams"`
	SilentStreams  int               `json:"silent_streams"` // no heartbeat in the window
	GapBuckets     []GapBucketReport `json:"gap_buckets"`
}

// GapBucketReport is one bar of the gap histogram.
type GapBucketReport struct {
	UpperMS float64 `json:"upper_ms"` // -1 for the overflow bar
	Count   uint64  `json:"count"`
}

// BytesReport is the bytes per heartbeat at each layer. "In" is server to
// client, "out" client to server.
type BytesReport struct {
	// MessagePerHeartbeat is the messages' bytes in the run's codec;
	// ProtobufPerHeartbeat the same with the protobuf codec, and null with
	// JSON.
	MessagePerHeartbeat  Figure `json:"message_per_heartbeat"`
	ProtobufPerHeartbeat Figure `json:"protobuf_per_heartbeat"`
	// EnvelopePerHeartbeat is the 5-byte envelope prefixes of gRPC,
	// Connect and gRPC-Web alike; GRPCPrefixPerHeartbeat is its older
	// name.
	EnvelopePerHeartbeat   Figure `json:"envelope_per_heartbeat"`
	GRPCPrefixPerHeartbeat Figure `json:"grpc_prefix_per_heartbeat"`
	// HTTPFramingPerHeartbeat is what HTTP adds to the messages: DATA frame
	// headers on HTTP/2, chunk framing on HTTP/1.1.
	HTTPFramingPerHeartbeat      Figure `json:"http_framing_per_heartbeat"`
	HTTP2FrameHeaderPerHeartbeat Figure `json:"http2_frame_header_per_heartbeat"` // DATA frame headers, in; null on HTTP/1.1
	// HTTPPerHeartbeat is every HTTP byte the server sent (on HTTP/2 the
	// DATA frames and any PING, PING ack, WINDOW_UPDATE or SETTINGS), and
	// HTTPOutPerHeartbeat every one the client sent; the http2_ keys are
	// the same on HTTP/2 and null on HTTP/1.1.
	HTTPPerHeartbeat     Figure `json:"http_per_heartbeat"`
	HTTPOutPerHeartbeat  Figure `json:"http_out_per_heartbeat"`
	HTTP2PerHeartbeat    Figure `json:"http2_per_heartbeat"`
	HTTP2OutPerHeartbeat Figure `json:"http2_out_per_heartbeat"`
	// ClientRepliesPerHeartbeat is the client's frames other than its
	// requests (WINDOW_UPDATE, PING, PING ack, SETTINGS ack, ...).
	ClientRepliesPerHeartbeat Figure `json:"client_replies_per_heartbeat"`
	// ServerPingsPerHeartbeat is the server's PING and PING ack frames.
	ServerPingsPerHeartbeat     Figure `json:"server_pings_per_heartbeat"`
	TLSOverheadInPerHeartbeat   Figure `json:"tls_overhead_in_per_heartbeat"`
	TLSOverheadOutPerHeartbeat  Figure `json:"tls_overhead_out_per_heartbeat"`
	SocketInPerHeartbeat        Figure `json:"socket_in_per_heartbeat"`
	SocketOutPerHeartbeat       Figure `json:"socket_out_per_heartbeat"`
	TCPIPHeadersInPerHeartbeat  Figure `json:"tcp_ip_headers_in_per_heartbeat"`
	TCPIPHeadersOutPerHeartbeat Figure `json:"tcp_ip_headers_out_per_heartbeat"`
	IPInPerHeartbeat            Figure `json:"ip_in_per_heartbeat"`
	IPOutPerHeartbeat           Figure `json:"ip_out_per_heartbeat"`
	// IPPerHeartbeat is both directions: socket payload plus TCP/IP
	// headers of every segment, ACKs included.
	IPPerHeartbeat Figure `json:"ip_per_heartbeat"`
	SocketIn       uint64 `json:"socket_in"`
	SocketOut      uint64 `json:"socket_out"`
	// Residuals are socket (or TLS plaintext) bytes of the window not
	// attributed to a frame: 0 when the decoders are in step.
	ResidualIn     int64 `json:"residual_in"`
	ResidualOut    int64 `json:"residual_out"`
	TLSResidualIn  int64 `json:"tls_residual_in"`
	TLSResidualOut int64 `json:"tls_residual_out"`
}

// SegmentsReport is TCP segments per heartbeat, from TCP_INFO.
type SegmentsReport struct {
	PerHeartbeat           Figure `json:"per_heartbeat"`
	InPerHeartbeat         Figure `json:"in_per_heartbeat"`
	OutPerHeartbeat        Figure `json:"out_per_heartbeat"`
	DataInPerHeartbeat     Figure `json:"data_in_per_heartbeat"`
	DataOutPerHeartbeat    Figure `json:"data_out_per_heartbeat"`
	PureAckInPerHeartbeat  Figure `json:"pure_ack_in_per_heartbeat"`
	PureAckOutPerHeartbeat Figure `json:"pure_ack_out_per_heartbeat"`
	// HeaderBytesPerSegment is the TCP/IP header size assumed per
	// segment: 52 for IPv4 with timestamps (20 + 20 + 12).
	HeaderBytesPerSegment float64 `json:"header_bytes_per_segment"`
}

// TCPInfoReport is the kernel's view of the window, beside the counting
// connections' view of the same sockets.
type TCPInfoReport struct {
	Available      bool   `json:"available"`
	Sockets        int    `json:"sockets"`
	Unreadable     int    `json:"unreadable"`
	NoTimestamps   int    `json:"no_timestamps"`
	SegsIn         uint64 `json:"segs_in"`
	SegsOut        uint64 `json:"segs_out"`
	DataSegsIn     uint64 `json:"data_segs_in"`
	DataSegsOut    uint64 `json:"data_segs_out"`
	BytesReceived  uint64 `json:"bytes_received"`
	BytesAcked     uint64 `json:"bytes_acked"`
	BytesSent      uint64 `json:"bytes_sent"`
	TotalRetrans   uint64 `json:"total_retrans"`
	SocketBytesIn  uint64 `json:"socket_bytes_in"`
	SocketBytesOut uint64 `json:"socket_bytes_out"`
	// AppBytesRead is bytes_received less what still waited unread in the
	// socket (SIOCINQ) at each end of the window: the kernel's count of
	// what the client read. AppBytesWritten is bytes_acked plus what was
	// written but not yet acked (SIOCOUTQ).
	AppBytesRead    uint64 `json:"app_bytes_read"`
	AppBytesWritten uint64 `json:"app_bytes_written"`
	// ConnBytesRead and ConnBytesWritten are the counting connections'
	// bytes, read per socket right after its TCP_INFO, so each pair
	// describes the same instant. (socket_bytes_in/out are the decoders'
	// totals over the window, the divisor-consistent figures.)
	ConnBytesRead    uint64 `json:"conn_bytes_read"`
	ConnBytesWritten uint64 `json:"conn_bytes_written"`
	// PayloadDiffIn is app_bytes_read minus conn_bytes_read;
	// PayloadDiffOut app_bytes_written minus conn_bytes_written. Both are 0
	// when the kernel and the counting connections agree.
	PayloadDiffIn  int64 `json:"payload_diff_in"`
	PayloadDiffOut int64 `json:"payload_diff_out"`
}

// LayerRow is one layer of the wire cost of a heartbeat. Model and Diff
// are null where DESIGN.md gives no figure (what the client sends back is
// "measured" there).
type LayerRow struct {
	Layer     string   `json:"layer"`
	Direction string   `json:"direction"` // in, out or both
	Unit      string   `json:"unit"`      // bytes or segments, per heartbeat
	Measured  Figure   `json:"measured"`
	Model     *float64 `json:"model"`
	Diff      *float64 `json:"diff"`
}

// FramesReport is HTTP/2 frames by type in each direction.
type FramesReport struct {
	In  []FrameRow `json:"in"`
	Out []FrameRow `json:"out"`
}

// FrameRow is the frames of one type in one direction over the window.
type FrameRow struct {
	Type               string `json:"type"`
	Frames             uint64 `json:"frames"`
	Bytes              uint64 `json:"bytes"` // headers and payloads
	FramesPerHeartbeat Figure `json:"frames_per_heartbeat"`
	BytesPerHeartbeat  Figure `json:"bytes_per_heartbeat"`
}

// HTTP1Report is an HTTP/1.1 run's messages in each direction.
type HTTP1Report struct {
	In  HTTP1Direction `json:"in"`
	Out HTTP1Direction `json:"out"`
}

// HTTP1Direction is one direction of HTTP/1.1 over the window: heads
// (request or status line and header fields), chunks and their framing
// (size lines, CRLFs, the last chunk), and body bytes.
type HTTP1Direction struct {
	Heads                    uint64 `json:"heads"`
	HeadBytes                uint64 `json:"head_bytes"`
	Chunks                   uint64 `json:"chunks"`
	ChunkFramingBytes        uint64 `json:"chunk_framing_bytes"`
	BodyBytes                uint64 `json:"body_bytes"`
	ChunksPerHeartbeat       Figure `json:"chunks_per_heartbeat"`
	ChunkFramingPerHeartbeat Figure `json:"chunk_framing_per_heartbeat"`
}

// TLSReport is TLS records by type in each direction.
type TLSReport struct {
	In                     []RecordRow `json:"in"`
	Out                    []RecordRow `json:"out"`
	RecordsInPerHeartbeat  Figure      `json:"records_in_per_heartbeat"`
	RecordsOutPerHeartbeat Figure      `json:"records_out_per_heartbeat"`
}

// RecordRow is the records of one content type in one direction.
type RecordRow struct {
	Type              string `json:"type"`
	Records           uint64 `json:"records"`
	Bytes             uint64 `json:"bytes"` // headers and payloads
	BytesPerHeartbeat Figure `json:"bytes_per_heartbeat"`
}

// MemoryReport is bench's own memory and, with ServerMetricsURL, the
// server's, before the ramp and after the warm-up.
type MemoryReport struct {
	ClientRSSBefore           uint64  `json:"client_rss_before"`
	ClientRSSAfter            uint64  `json:"client_rss_after"`
	ClientHeapBefore          uint64  `json:"client_heap_before"`
	ClientHeapAfter           uint64  `json:"client_heap_after"`
	ClientStackBefore         uint64  `json:"client_stack_before"`
	ClientStackAfter          uint64  `json:"client_stack_after"`
	ClientGoroutinesBefore    uint64  `json:"client_goroutines_before"`
	ClientGoroutinesAfter     uint64  `json:"client_goroutines_after"`
	ClientBytesPerStream      float64 `json:"client_bytes_per_stream"` // RSS delta per stream
	ClientHeapPerStream       float64 `json:"client_heap_per_stream"`
	ClientStackPerStream      float64 `json:"client_stack_per_stream"` // goroutine stacks
	ClientGoroutinesPerStream float64 `json:"client_goroutines_per_stream"`
	ClientBytesPerConnection  float64 `json:"client_bytes_per_connection"`

	// KernelSocketBytes is the memory of every TCP socket on the machine
	// (both ends on loopback, and other processes'), from the mem line of
	// /proc/net/sockstat; apart from RSS, which it is not part of.
	// KernelTCPSockets is its alloc count.
	KernelSocketBytesBefore    uint64  `json:"kernel_socket_bytes_before"`
	KernelSocketBytesAfter     uint64  `json:"kernel_socket_bytes_after"`
	KernelSocketBytesPerStream float64 `json:"kernel_socket_bytes_per_stream"`
	KernelTCPSocketsBefore     uint64  `json:"kernel_tcp_sockets_before"`
	KernelTCPSocketsAfter      uint64  `json:"kernel_tcp_sockets_after"`

	ServerAvailable           bool    `json:"server_available"`
	ServerError               string  `json:"server_error"`
	ServerRSSBefore           float64 `json:"server_rss_before"`
	ServerRSSAfter            float64 `json:"server_rss_after"`
	ServerHeapMetric          string  `json:"server_heap_metric"`
	ServerHeapBefore          float64 `json:"server_heap_before"`
	ServerHeapAfter           float64 `json:"server_heap_after"`
	ServerGoroutinesBefore    float64 `json:"server_goroutines_before"`
	ServerGoroutinesAfter     float64 `json:"server_goroutines_after"`
	ServerStreamsBefore       float64 `json:"server_streams_before"`
	ServerStreamsAfter        float64 `json:"server_streams_after"`
	ServerBytesPerStream      float64 `json:"server_bytes_per_stream"` // RSS delta per stream
	ServerHeapPerStream       float64 `json:"server_heap_per_stream"`
	ServerGoroutinesPerStream float64 `json:"server_goroutines_per_stream"`
}

// ErrorsReport counts failures by gRPC code name.
type ErrorsReport struct {
	Connect map[string]uint64 `json:"connect"`
	Streams map[string]uint64 `json:"streams"`
}

// ProjectionReport is the measured IP bytes per heartbeat at
// ProjectInterval, per client and for each fleet size.
type ProjectionReport struct {
	IntervalMS             float64 `json:"interval_ms"`
	IPBytesPerHeartbeat    Figure  `json:"ip_bytes_per_heartbeat"`
	HeartbeatsPerClientDay float64 `json:"heartbeats_per_client_day"`
	BytesPerClientDay      Figure  `json:"bytes_per_client_day"`
	// ModelBytesPerClientDay is DESIGN.md's heartbeat alone (85 bytes for
	// h2c, 107 for TLS), without the client's side.
	ModelBytesPerClientDay float64    `json:"model_bytes_per_client_day"`
	Scales                 []ScaleRow `json:"scales"`
}

// ScaleRow is the projection for one fleet size.
type ScaleRow struct {
	Clients     int    `json:"clients"`
	BytesPerDay Figure `json:"bytes_per_day"`
	MbitPerS    Figure `json:"mbit_per_s"`
}

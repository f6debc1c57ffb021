package loadgen

import (
	"maps"
	"time"

	"galaxy/galaxyctl/internal/loadgen/wire"
)

// The model of DESIGN.md's wire-cost table, in bytes per heartbeat.
const (
	modelProtobuf            = float64(wire.HeartbeatMessageLen) // 19
	modelGRPCPrefix  float64 = wire.GRPCPrefixLen                // 5
	modelFrameHeader float64 = wire.FrameHeaderLen               // 9
	modelTLSRecord   float64 = 22                                // TLS 1.3, AES-GCM: 5 header + 1 type + 16 tag
	modelTCPIP       float64 = ipv4HeaderLen + tcpHeaderLen + tcpTimestampOptLen
	modelHTTP2               = modelProtobuf + modelGRPCPrefix + modelFrameHeader
)

const secondsPerDay = 86400

// measurement is everything a report is computed from: the run's
// counters, already reduced to window deltas. buildReport is pure, so the
// arithmetic is tested on hand-made measurements.
type measurement struct {
	cfg         Config
	started     time.Time
	ramp        time.Duration
	warmup      time.Duration
	window      time.Duration
	total       time.Duration
	interrupted Phase // the phase ctx ended in; "" for a run that finished

	connected, failed, ended int
	connectFailures          uint64
	connectionsOpened        int64
	connectErrs, streamErrs  map[string]uint64
	connectErrSamples        map[string]string

	win           counters  // deltas over the window
	tcp           tcpTotals // TCP_INFO deltas over the window
	appHeartbeats uint64
	appOther      uint64

	gaps                gapStats
	overdueAtEnd        uint64
	stalled, silent     int
	memBefore, memAfter memSample
	srvBefore, srvAfter *serverSample
	srvErr              string
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func ptr(f float64) *float64 { return &f }

// perHB divides a window count by the heartbeats in it, 0 without any.
type perHB float64

func (h perHB) of(n uint64) float64 {
	if h == 0 {
		return 0
	}
	return float64(n) / float64(h)
}

// ofDiff divides a - b, which may be negative at a window's edges.
func (h perHB) ofDiff(a, b uint64) float64 {
	if h == 0 {
		return 0
	}
	return float64(int64(a)-int64(b)) / float64(h)
}

func buildReport(m measurement) *Report {
	cfg := m.cfg
	tls := cfg.TLS != nil
	r := &Report{
		StartedAt:   m.started,
		Interrupted: m.interrupted != "",
		Durations: DurationsReport{
			RampMS: ms(m.ramp), WarmupMS: ms(m.warmup), MeasureMS: ms(m.window), TotalMS: ms(m.total),
		},
	}
	r.Config = echoConfig(cfg)
	r.Clients = ClientsReport{
		Requested:         cfg.Clients,
		Connected:         m.connected,
		Failed:            m.failed,
		ConnectFailures:   m.connectFailures,
		StreamsEnded:      m.ended,
		ConnectionsOpened: m.connectionsOpened,
	}
	if m.ramp > 0 {
		r.Clients.RampRateAchieved = float64(m.connected) / m.ramp.Seconds()
	}

	w := &m.win
	hb := perHB(w.H2In.Heartbeats)
	r.Heartbeats = HeartbeatsReport{
		Received:       m.appHeartbeats,
		OnWire:         w.H2In.Heartbeats,
		OtherMessages:  m.appOther,
		IntervalMS:     ms(m.gaps.Interval),
		IntervalSource: m.gaps.IntervalSource,
		Gaps:           m.gaps.Count,
		GapP50MS:       ms(m.gaps.P50),
		GapP99MS:       ms(m.gaps.P99),
		GapMaxMS:       ms(m.gaps.Max),
		GapMeanMS:      ms(m.gaps.Mean),
		Late:           m.gaps.Late,
		Missed:         m.gaps.Missed,
		OverdueAtEnd:   m.overdueAtEnd,
		StalledStreams: m.stalled,
		SilentStreams:  m.silent,
		GapBuckets:     gapBucketsReport(m.gaps.Buckets),
	}
	if m.window > 0 {
		r.Heartbeats.PerSecond = float64(w.H2In.Heartbeats) / m.window.Seconds()
	}

	socketIn, socketOut := w.socketIn(tls), w.socketOut(tls)
	b := &r.Bytes
	b.ProtobufPerHeartbeat = hb.of(w.H2In.MessageBytes)
	b.GRPCPrefixPerHeartbeat = hb.of(w.H2In.GRPCPrefix)
	b.HTTP2FrameHeaderPerHeartbeat = hb.of(w.H2In.Frames[wire.KindData] * wire.FrameHeaderLen)
	b.HTTP2PerHeartbeat = hb.of(w.H2In.AllFrameBytes())
	b.HTTP2OutPerHeartbeat = hb.of(w.H2Out.Preface + w.H2Out.AllFrameBytes())
	b.ClientRepliesPerHeartbeat = hb.of(replyBytes(&w.H2Out))
	b.ServerPingsPerHeartbeat = hb.of(w.H2In.FrameBytes(wire.KindPing) + w.H2In.FrameBytes(wire.KindPingAck))
	if tls {
		b.TLSOverheadInPerHeartbeat = hb.ofDiff(socketIn, w.H2In.Bytes)
		b.TLSOverheadOutPerHeartbeat = hb.ofDiff(socketOut, w.H2Out.Bytes)
		b.TLSResidualIn = w.TLSIn.Residual()
		b.TLSResidualOut = w.TLSOut.Residual()
	}
	b.SocketInPerHeartbeat = hb.of(socketIn)
	b.SocketOutPerHeartbeat = hb.of(socketOut)
	b.TCPIPHeadersInPerHeartbeat = hb.of(m.tcp.HeaderBytesIn)
	b.TCPIPHeadersOutPerHeartbeat = hb.of(m.tcp.HeaderBytesOut)
	b.IPInPerHeartbeat = b.SocketInPerHeartbeat + b.TCPIPHeadersInPerHeartbeat
	b.IPOutPerHeartbeat = b.SocketOutPerHeartbeat + b.TCPIPHeadersOutPerHeartbeat
	b.IPPerHeartbeat = b.IPInPerHeartbeat + b.IPOutPerHeartbeat
	b.SocketIn, b.SocketOut = socketIn, socketOut
	b.ResidualIn, b.ResidualOut = w.H2In.Residual(), w.H2Out.Residual()

	t := &m.tcp
	r.Segments = SegmentsReport{
		PerHeartbeat:           hb.of(t.SegsIn + t.SegsOut),
		InPerHeartbeat:         hb.of(t.SegsIn),
		OutPerHeartbeat:        hb.of(t.SegsOut),
		DataInPerHeartbeat:     hb.of(t.DataSegsIn),
		DataOutPerHeartbeat:    hb.of(t.DataSegsOut),
		PureAckInPerHeartbeat:  hb.of(t.SegsIn - t.DataSegsIn),
		PureAckOutPerHeartbeat: hb.of(t.SegsOut - t.DataSegsOut),
	}
	if segs := t.SegsIn + t.SegsOut; segs > 0 {
		r.Segments.HeaderBytesPerSegment = float64(t.HeaderBytesIn+t.HeaderBytesOut) / float64(segs)
	}
	r.TCPInfo = TCPInfoReport{
		Available:        t.Sockets > 0,
		Sockets:          t.Sockets,
		Unreadable:       t.Failed,
		NoTimestamps:     t.NoTimestamps,
		SegsIn:           t.SegsIn,
		SegsOut:          t.SegsOut,
		DataSegsIn:       t.DataSegsIn,
		DataSegsOut:      t.DataSegsOut,
		BytesReceived:    t.BytesReceived,
		BytesAcked:       t.BytesAcked,
		BytesSent:        t.BytesSent,
		TotalRetrans:     t.TotalRetrans,
		SocketBytesIn:    socketIn,
		SocketBytesOut:   socketOut,
		AppBytesRead:     t.AppRead,
		AppBytesWritten:  t.AppWritten,
		ConnBytesRead:    t.ConnRead,
		ConnBytesWritten: t.ConnWritten,
		PayloadDiffIn:    int64(t.AppRead) - int64(t.ConnRead),
		PayloadDiffOut:   int64(t.AppWritten) - int64(t.ConnWritten),
	}

	r.Layers = layers(r, w, hb, tls)
	r.Frames = FramesReport{In: frameRows(&w.H2In, hb), Out: frameRows(&w.H2Out, hb)}
	if tls {
		r.TLS = &TLSReport{
			In:                     recordRows(&w.TLSIn, hb),
			Out:                    recordRows(&w.TLSOut, hb),
			RecordsInPerHeartbeat:  hb.of(w.TLSIn.AllRecords()),
			RecordsOutPerHeartbeat: hb.of(w.TLSOut.AllRecords()),
		}
	}
	r.Memory = memoryReport(m)
	r.Errors = ErrorsReport{Connect: maps.Clone(m.connectErrs), Streams: maps.Clone(m.streamErrs)}
	if r.Errors.Connect == nil {
		r.Errors.Connect = map[string]uint64{}
	}
	if r.Errors.Streams == nil {
		r.Errors.Streams = map[string]uint64{}
	}
	r.Projection = projection(cfg, b.IPPerHeartbeat, tls)
	r.Notes = notes(m, r)
	return r
}

func echoConfig(cfg Config) ConfigEcho {
	e := ConfigEcho{
		Addr:               cfg.Addr,
		Clients:            cfg.Clients,
		StreamsPerConn:     cfg.StreamsPerConn,
		Connections:        cfg.connections(),
		RampRate:           cfg.RampRate,
		SourceAddrs:        []string{},
		WarmupMS:           ms(cfg.Warmup),
		DurationMS:         ms(cfg.Duration),
		TLS:                cfg.TLS != nil,
		ClientWindow:       cfg.ClientWindow,
		ExpectedIntervalMS: ms(cfg.ExpectedInterval),
		ProjectIntervalMS:  ms(cfg.ProjectInterval),
		Scales:             append([]int{}, cfg.Scales...),
		ServerMetricsURL:   cfg.ServerMetricsURL,
	}
	if cfg.ClientWindow == WindowStatic {
		e.StaticWindow = cfg.StaticWindow
	}
	for _, a := range cfg.SourceAddrs {
		e.SourceAddrs = append(e.SourceAddrs, a.String())
	}
	return e
}

// replyBytes is what the client sends that is not a request: everything
// but DATA, HEADERS and CONTINUATION (and the one-off preface).
func replyBytes(out *wire.H2Stats) uint64 {
	return out.AllFrameBytes() - out.FrameBytes(wire.KindData) -
		out.FrameBytes(wire.KindHeaders) - out.FrameBytes(wire.KindContinuation)
}

func gapBucketsReport(bs []GapBucket) []GapBucketReport {
	out := make([]GapBucketReport, 0, len(bs))
	for _, b := range bs {
		u := ms(b.Upper)
		if b.Upper > coarseBounds[len(coarseBounds)-1] {
			u = -1
		}
		out = append(out, GapBucketReport{UpperMS: u, Count: b.Count})
	}
	return out
}

// layers sets each measured layer beside the model, in the order of
// DESIGN.md's table, then what the client sends back.
func layers(r *Report, w *counters, hb perHB, tls bool) []LayerRow {
	b := &r.Bytes
	s := &r.Segments
	row := func(layer, dir, unit string, measured float64, model *float64) LayerRow {
		lr := LayerRow{Layer: layer, Direction: dir, Unit: unit, Measured: measured, Model: model}
		if model != nil {
			lr.Diff = ptr(measured - *model)
		}
		return lr
	}
	payloadModel, ipModel := modelHTTP2, modelHTTP2+modelTCPIP
	if tls {
		payloadModel += modelTLSRecord
		ipModel += modelTLSRecord
	}
	otherIn := w.H2In.AllFrameBytes() - w.H2In.FrameBytes(wire.KindData)
	rows := []LayerRow{
		row("protobuf", "in", "bytes", b.ProtobufPerHeartbeat, ptr(modelProtobuf)),
		row("grpc_prefix", "in", "bytes", b.GRPCPrefixPerHeartbeat, ptr(modelGRPCPrefix)),
		row("http2_data_frame_header", "in", "bytes", b.HTTP2FrameHeaderPerHeartbeat, ptr(modelFrameHeader)),
	}
	if w.H2In.DataPadding > 0 {
		rows = append(rows, row("http2_data_padding", "in", "bytes", hb.of(w.H2In.DataPadding), ptr(0)))
	}
	rows = append(rows, row("http2_other_frames", "in", "bytes", hb.of(otherIn), ptr(0)))
	if tls {
		rows = append(rows, row("tls_records", "in", "bytes", b.TLSOverheadInPerHeartbeat, ptr(modelTLSRecord)))
	}
	rows = append(rows,
		row("tcp_payload", "in", "bytes", b.SocketInPerHeartbeat, ptr(payloadModel)),
		row("tcp_ip_headers", "in", "bytes", b.TCPIPHeadersInPerHeartbeat, ptr(modelTCPIP)),
		row("segments", "in", "segments", s.InPerHeartbeat, ptr(1)),
		row("pure_ack_segments", "in", "segments", s.PureAckInPerHeartbeat, ptr(0)),
		row("ip_total", "in", "bytes", b.IPInPerHeartbeat, ptr(ipModel)),
	)
	for k := range wire.NumKinds {
		if w.H2Out.Frames[k] == 0 {
			continue
		}
		rows = append(rows, row("http2_"+k.String(), "out", "bytes", hb.of(w.H2Out.FrameBytes(k)), nil))
	}
	if tls {
		rows = append(rows, row("tls_records", "out", "bytes", b.TLSOverheadOutPerHeartbeat, nil))
	}
	rows = append(rows,
		row("tcp_payload", "out", "bytes", b.SocketOutPerHeartbeat, nil),
		row("tcp_ip_headers", "out", "bytes", b.TCPIPHeadersOutPerHeartbeat, nil),
		row("segments", "out", "segments", s.OutPerHeartbeat, nil),
		row("pure_ack_segments", "out", "segments", s.PureAckOutPerHeartbeat, nil),
		row("ip_total", "out", "bytes", b.IPOutPerHeartbeat, nil),
		row("ip_total", "both", "bytes", b.IPPerHeartbeat, nil),
		row("segments", "both", "segments", s.PerHeartbeat, nil),
	)
	return rows
}

func frameRows(s *wire.H2Stats, hb perHB) []FrameRow {
	rows := []FrameRow{}
	for k := range wire.NumKinds {
		if s.Frames[k] == 0 {
			continue
		}
		rows = append(rows, FrameRow{
			Type:               k.String(),
			Frames:             s.Frames[k],
			Bytes:              s.FrameBytes(k),
			FramesPerHeartbeat: hb.of(s.Frames[k]),
			BytesPerHeartbeat:  hb.of(s.FrameBytes(k)),
		})
	}
	return rows
}

func recordRows(s *wire.TLSStats, hb perHB) []RecordRow {
	rows := []RecordRow{}
	for t := range wire.NumRecordTypes {
		if s.Records[t] == 0 {
			continue
		}
		n := s.Records[t]*wire.TLSRecordHeaderLen + s.Payload[t]
		rows = append(rows, RecordRow{Type: t.String(), Records: s.Records[t], Bytes: n, BytesPerHeartbeat: hb.of(n)})
	}
	return rows
}

func perStream(after, before float64, streams float64) float64 {
	if streams <= 0 {
		return 0
	}
	return (after - before) / streams
}

func memoryReport(m measurement) MemoryReport {
	b, a := m.memBefore, m.memAfter
	streams := float64(m.connected)
	mr := MemoryReport{
		ClientRSSBefore:           b.RSS,
		ClientRSSAfter:            a.RSS,
		ClientHeapBefore:          b.HeapBytes,
		ClientHeapAfter:           a.HeapBytes,
		ClientStackBefore:         b.StackBytes,
		ClientStackAfter:          a.StackBytes,
		ClientGoroutinesBefore:    b.Goroutines,
		ClientGoroutinesAfter:     a.Goroutines,
		ClientBytesPerStream:      perStream(float64(a.RSS), float64(b.RSS), streams),
		ClientHeapPerStream:       perStream(float64(a.HeapBytes), float64(b.HeapBytes), streams),
		ClientStackPerStream:      perStream(float64(a.StackBytes), float64(b.StackBytes), streams),
		ClientGoroutinesPerStream: perStream(float64(a.Goroutines), float64(b.Goroutines), streams),
		ClientBytesPerConnection:  perStream(float64(a.RSS), float64(b.RSS), float64(m.connectionsOpened)),
		ServerError:               m.srvErr,
	}
	if m.srvBefore == nil || m.srvAfter == nil {
		return mr
	}
	sb, sa := m.srvBefore, m.srvAfter
	mr.ServerAvailable = true
	mr.ServerRSSBefore, mr.ServerRSSAfter = sb.RSS, sa.RSS
	mr.ServerHeapMetric = sa.HeapMetric
	mr.ServerHeapBefore, mr.ServerHeapAfter = sb.Heap, sa.Heap
	mr.ServerGoroutinesBefore, mr.ServerGoroutinesAfter = sb.Goroutines, sa.Goroutines
	mr.ServerStreamsBefore, mr.ServerStreamsAfter = sb.ActiveStreams, sa.ActiveStreams
	// Without the gateway's stream gauge, the streams bench holds open
	// stand in for the delta.
	delta := sa.ActiveStreams - sb.ActiveStreams
	if !sa.HasActiveStreams || !sb.HasActiveStreams {
		delta = streams
	}
	if sa.HasRSS && sb.HasRSS {
		mr.ServerBytesPerStream = perStream(sa.RSS, sb.RSS, delta)
	}
	if sa.HasHeap && sb.HasHeap {
		mr.ServerHeapPerStream = perStream(sa.Heap, sb.Heap, delta)
	}
	if sa.HasGoroutines && sb.HasGoroutines {
		mr.ServerGoroutinesPerStream = perStream(sa.Goroutines, sb.Goroutines, delta)
	}
	return mr
}

func projection(cfg Config, ipPerHB float64, tls bool) ProjectionReport {
	perDay := secondsPerDay / cfg.ProjectInterval.Seconds()
	model := modelHTTP2 + modelTCPIP
	if tls {
		model += modelTLSRecord
	}
	p := ProjectionReport{
		IntervalMS:             ms(cfg.ProjectInterval),
		IPBytesPerHeartbeat:    ipPerHB,
		HeartbeatsPerClientDay: perDay,
		BytesPerClientDay:      ipPerHB * perDay,
		ModelBytesPerClientDay: model * perDay,
		Scales:                 []ScaleRow{},
	}
	for _, n := range cfg.Scales {
		day := p.BytesPerClientDay * float64(n)
		p.Scales = append(p.Scales, ScaleRow{
			Clients:     n,
			BytesPerDay: day,
			MbitPerS:    day * 8 / secondsPerDay / 1e6,
		})
	}
	return p
}

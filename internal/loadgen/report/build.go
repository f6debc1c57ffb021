package report

import (
	"maps"
	"time"

	"galaxy/galaxyctl/internal/loadgen/wire"
)

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func msDur(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }

func ptr(f float64) *float64 { return &f }

// perHB divides a window count by the heartbeats in it; without any, the
// figure is missing.
type perHB float64

func (h perHB) of(n uint64) Figure {
	if h == 0 {
		return Missing
	}
	return Figure(float64(n) / float64(h))
}

// ofDiff divides a - b, which may be negative at a window's edges.
func (h perHB) ofDiff(a, b uint64) Figure {
	if h == 0 {
		return Missing
	}
	return Figure(float64(int64(a)-int64(b)) / float64(h))
}

// Build computes the report of m. It is pure: the same Measurement always
// builds the same Report.
func Build(m Measurement) *Report {
	cfg := m.Config
	r := &Report{
		Config:      cfg,
		StartedAt:   m.StartedAt,
		Interrupted: m.Interrupted != "",
		Durations: DurationsReport{
			RampMS: ms(m.Ramp), WarmupMS: ms(m.Warmup), MeasureMS: ms(m.Window), TotalMS: ms(m.Total),
		},
		Clients: ClientsReport{
			Requested:         cfg.Clients,
			Connected:         m.Connected,
			Failed:            m.Failed,
			ConnectFailures:   m.ConnectFailures,
			StreamsEnded:      m.Ended,
			ConnectionsOpened: m.ConnectionsOpened,
			RampRateAchieved:  RampRate(m.Connected, m.Ramp),
		},
	}
	r.Config.Scales = append([]int{}, cfg.Scales...)
	r.Config.SourceAddrs = append([]string{}, cfg.SourceAddrs...)
	w := &m.Counters
	hb := perHB(w.Heartbeats())
	r.Heartbeats = heartbeats(&m)
	r.Bytes = bytesReport(&m, hb)
	r.Segments = segments(&m.TCP, hb)
	r.TCPInfo = tcpInfo(&m.TCP, w, cfg.TLS)
	model := ModelOf(cfg)
	r.Layers = layers(r, w, hb, model)
	r.Frames = FramesReport{In: frameRows(&w.H2In, hb), Out: frameRows(&w.H2Out, hb)}
	if cfg.HTTP == "1.1" {
		r.HTTP1 = &HTTP1Report{In: http1Direction(&w.H1In, hb), Out: http1Direction(&w.H1Out, hb)}
	}
	if cfg.TLS {
		r.TLS = &TLSReport{
			In:                     recordRows(&w.TLSIn, hb),
			Out:                    recordRows(&w.TLSOut, hb),
			RecordsInPerHeartbeat:  hb.of(w.TLSIn.AllRecords()),
			RecordsOutPerHeartbeat: hb.of(w.TLSOut.AllRecords()),
		}
	}
	r.Memory = memoryReport(&m)
	r.Errors = ErrorsReport{Connect: cloneOrEmpty(m.ConnectErrors), Streams: cloneOrEmpty(m.StreamErrors)}
	r.Projection = Project(r.Bytes.IPPerHeartbeat, msDur(cfg.ProjectIntervalMS), cfg.Scales, model)
	r.Notes = notes(&m, r)
	r.SchemaVersion, r.Timeseries, r.Thresholds = SchemaVersion, Timeseries{Points: []SeriesPoint{}}, []ThresholdResult{}
	return r
}

// RampRate is clients connected per second of ramp: the one formula of the
// report and the live view.
func RampRate(connected int, ramp time.Duration) float64 {
	if ramp <= 0 {
		return 0
	}
	return float64(connected) / ramp.Seconds()
}

func cloneOrEmpty(m map[string]uint64) map[string]uint64 {
	if m == nil {
		return map[string]uint64{}
	}
	return maps.Clone(m)
}

func heartbeats(m *Measurement) HeartbeatsReport {
	g := m.Gaps.Stats()
	onWire := m.Counters.Heartbeats()
	h := HeartbeatsReport{
		Received:       m.Heartbeats,
		OnWire:         onWire,
		OtherMessages:  m.OtherMessages,
		IntervalMS:     ms(g.Interval),
		IntervalSource: g.IntervalSource,
		Gaps:           g.Count,
		GapP50MS:       ms(g.P50),
		GapP99MS:       ms(g.P99),
		GapMaxMS:       ms(g.Max),
		GapMeanMS:      ms(g.Mean),
		Late:           g.Late,
		Missed:         g.Missed,
		OverdueAtEnd:   m.OverdueAtEnd,
		StalledStreams: m.Stalled,
		SilentStreams:  m.Silent,
		GapBuckets:     gapBucketsReport(g.Buckets),
	}
	h.PerSecond = Missing
	if m.Window > 0 {
		h.PerSecond = Figure(float64(onWire) / m.Window.Seconds())
	}
	return h
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

func bytesReport(m *Measurement, hb perHB) BytesReport {
	w, tls := &m.Counters, m.Config.TLS
	msg := w.MsgIn()
	socketIn, socketOut := w.SocketIn(tls), w.SocketOut(tls)
	b := BytesReport{
		MessagePerHeartbeat:         hb.of(msg.MessageBytes),
		ProtobufPerHeartbeat:        hb.of(msg.MessageBytes),
		EnvelopePerHeartbeat:        hb.of(msg.GRPCPrefix),
		GRPCPrefixPerHeartbeat:      hb.of(msg.GRPCPrefix),
		HTTPPerHeartbeat:            hb.of(w.HTTPIn()),
		HTTPOutPerHeartbeat:         hb.of(w.HTTPOut()),
		ClientRepliesPerHeartbeat:   hb.of(replyBytes(&w.H2Out) + w.H1Out.Bytes),
		ServerPingsPerHeartbeat:     hb.of(w.H2In.FrameBytes(wire.KindPing) + w.H2In.FrameBytes(wire.KindPingAck)),
		SocketInPerHeartbeat:        hb.of(socketIn),
		SocketOutPerHeartbeat:       hb.of(socketOut),
		TCPIPHeadersInPerHeartbeat:  hb.of(m.TCP.HeaderBytesIn),
		TCPIPHeadersOutPerHeartbeat: hb.of(m.TCP.HeaderBytesOut),
		SocketIn:                    socketIn,
		SocketOut:                   socketOut,
		ResidualIn:                  w.H2In.Residual() + w.H1In.Residual(),
		ResidualOut:                 w.H2Out.Residual() + w.H1Out.Residual(),
	}
	if m.Config.Codec == "json" {
		b.ProtobufPerHeartbeat = Missing
	}
	if m.Config.HTTP == "1.1" {
		b.HTTPFramingPerHeartbeat = hb.of(w.H1In.ChunkFraming)
		b.HTTP2FrameHeaderPerHeartbeat, b.HTTP2PerHeartbeat, b.HTTP2OutPerHeartbeat = Missing, Missing, Missing
	} else {
		b.HTTPFramingPerHeartbeat = hb.of(w.H2In.Frames[wire.KindData] * wire.FrameHeaderLen)
		b.HTTP2FrameHeaderPerHeartbeat = b.HTTPFramingPerHeartbeat
		b.HTTP2PerHeartbeat = hb.of(w.H2In.AllFrameBytes())
		b.HTTP2OutPerHeartbeat = hb.of(w.H2Out.Preface + w.H2Out.AllFrameBytes())
	}
	if tls { // without TLS there is no record overhead: 0
		b.TLSOverheadInPerHeartbeat = hb.ofDiff(socketIn, w.HTTPIn())
		b.TLSOverheadOutPerHeartbeat = hb.ofDiff(socketOut, w.HTTPOut())
		b.TLSResidualIn = w.TLSIn.Residual()
		b.TLSResidualOut = w.TLSOut.Residual()
	}
	b.IPInPerHeartbeat = b.SocketInPerHeartbeat + b.TCPIPHeadersInPerHeartbeat
	b.IPOutPerHeartbeat = b.SocketOutPerHeartbeat + b.TCPIPHeadersOutPerHeartbeat
	b.IPPerHeartbeat = b.IPInPerHeartbeat + b.IPOutPerHeartbeat
	return b
}

func http1Direction(s *wire.H1Stats, hb perHB) HTTP1Direction {
	return HTTP1Direction{
		Heads: s.Heads, HeadBytes: s.Head, Chunks: s.Chunks, ChunkFramingBytes: s.ChunkFraming, BodyBytes: s.Body,
		ChunksPerHeartbeat: hb.of(s.Chunks), ChunkFramingPerHeartbeat: hb.of(s.ChunkFraming),
	}
}

// replyBytes is what the client sends that is not a request: everything
// but DATA, HEADERS and CONTINUATION (and the one-off preface).
func replyBytes(out *wire.H2Stats) uint64 {
	return out.AllFrameBytes() - out.FrameBytes(wire.KindData) -
		out.FrameBytes(wire.KindHeaders) - out.FrameBytes(wire.KindContinuation)
}

func segments(t *TCPTotals, hb perHB) SegmentsReport {
	s := SegmentsReport{
		PerHeartbeat:           hb.of(t.SegsIn + t.SegsOut),
		InPerHeartbeat:         hb.of(t.SegsIn),
		OutPerHeartbeat:        hb.of(t.SegsOut),
		DataInPerHeartbeat:     hb.of(t.DataSegsIn),
		DataOutPerHeartbeat:    hb.of(t.DataSegsOut),
		PureAckInPerHeartbeat:  hb.of(t.SegsIn - t.DataSegsIn),
		PureAckOutPerHeartbeat: hb.of(t.SegsOut - t.DataSegsOut),
	}
	if segs := t.SegsIn + t.SegsOut; segs > 0 {
		s.HeaderBytesPerSegment = float64(t.HeaderBytesIn+t.HeaderBytesOut) / float64(segs)
	}
	return s
}

func tcpInfo(t *TCPTotals, w *Counters, tls bool) TCPInfoReport {
	return TCPInfoReport{
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
		SocketBytesIn:    w.SocketIn(tls),
		SocketBytesOut:   w.SocketOut(tls),
		AppBytesRead:     t.AppRead,
		AppBytesWritten:  t.AppWritten,
		ConnBytesRead:    t.ConnRead,
		ConnBytesWritten: t.ConnWritten,
		PayloadDiffIn:    int64(t.AppRead) - int64(t.ConnRead),
		PayloadDiffOut:   int64(t.AppWritten) - int64(t.ConnWritten),
	}
}

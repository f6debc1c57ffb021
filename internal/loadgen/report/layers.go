package report

import "galaxy/galaxyctl/internal/loadgen/wire"

// layers sets each measured layer beside the model, in the order of
// DESIGN.md's table, then what the client sends back. Layer names follow
// the run's client kind: the message is "protobuf" or "json", the envelope
// "grpc_prefix", "connect_envelope" or "grpc_web_envelope", the framing
// "http2_data_frame_header" or "http1_chunk_framing".
func layers(r *Report, w *Counters, hb perHB, model Model) []LayerRow {
	b := &r.Bytes
	s := &r.Segments
	row := func(layer, dir, unit string, measured Figure, model *float64) LayerRow {
		lr := LayerRow{Layer: layer, Direction: dir, Unit: unit, Measured: measured, Model: model}
		if model != nil && measured.OK() {
			lr.Diff = ptr(float64(measured) - *model)
		}
		return lr
	}
	names := layerNames(r.Config)
	msg := w.MsgIn()
	rows := []LayerRow{
		row(names.message, "in", "bytes", b.MessagePerHeartbeat, ptr(model.Message)),
		row(names.envelope, "in", "bytes", b.EnvelopePerHeartbeat, ptr(model.Envelope)),
		row(names.framing, "in", "bytes", b.HTTPFramingPerHeartbeat, ptr(model.Framing)),
	}
	if msg.EndStream > 0 {
		rows = append(rows, row(names.endStream, "in", "bytes", hb.of(msg.EndStream*wire.GRPCPrefixLen+msg.EndStreamBytes), ptr(0)))
	}
	if r.Config.HTTP == "1.1" {
		rows = append(rows, row("http1_heads", "in", "bytes", hb.of(w.H1In.Head), ptr(0)))
	} else {
		if w.H2In.DataPadding > 0 {
			rows = append(rows, row("http2_data_padding", "in", "bytes", hb.of(w.H2In.DataPadding), ptr(0)))
		}
		otherIn := w.H2In.AllFrameBytes() - w.H2In.FrameBytes(wire.KindData)
		rows = append(rows, row("http2_other_frames", "in", "bytes", hb.of(otherIn), ptr(0)))
	}
	if r.Config.TLS {
		rows = append(rows, row("tls_records", "in", "bytes", b.TLSOverheadInPerHeartbeat, ptr(model.TLSRecord)))
	}
	rows = append(rows,
		row("tcp_payload", "in", "bytes", b.SocketInPerHeartbeat, ptr(model.Socket())),
		row("tcp_ip_headers", "in", "bytes", b.TCPIPHeadersInPerHeartbeat, ptr(model.TCPIP)),
		row("segments", "in", "segments", s.InPerHeartbeat, ptr(1)),
		row("pure_ack_segments", "in", "segments", s.PureAckInPerHeartbeat, ptr(0)),
		row("ip_total", "in", "bytes", b.IPInPerHeartbeat, ptr(model.IP())),
	)
	rows = append(rows, replyRows(r, w, hb, model, row)...)
	if r.Config.TLS {
		rows = append(rows, row("tls_records", "out", "bytes", b.TLSOverheadOutPerHeartbeat, nil))
	}
	return append(rows,
		row("tcp_payload", "out", "bytes", b.SocketOutPerHeartbeat, nil),
		row("tcp_ip_headers", "out", "bytes", b.TCPIPHeadersOutPerHeartbeat, nil),
		row("segments", "out", "segments", s.OutPerHeartbeat, nil),
		row("pure_ack_segments", "out", "segments", s.PureAckOutPerHeartbeat, nil),
		row("ip_total", "out", "bytes", b.IPOutPerHeartbeat, nil),
		row("ip_total", "both", "bytes", b.IPPerHeartbeat, nil),
		row("segments", "both", "segments", s.PerHeartbeat, nil),
	)
}

// replyRows are what the client wrote at the HTTP layer, with the
// profile's model where it is exact (replyModel).
func replyRows(r *Report, w *Counters, hb perHB, model Model, row func(string, string, string, Figure, *float64) LayerRow) []LayerRow {
	if r.Config.HTTP == "1.1" {
		// A browser writes nothing on HTTP/1.1 once its request is sent.
		return []LayerRow{row("http1_client_bytes", "out", "bytes", hb.of(w.H1Out.Bytes), ptr(0))}
	}
	wu, ping, ok := replyModel(r.Config, model, msDur(r.Heartbeats.IntervalMS))
	var rows []LayerRow
	for k := range wire.NumKinds {
		m := (*float64)(nil)
		if ok && k == wire.KindWindowUpdate {
			m = ptr(wu)
		} else if ok && k == wire.KindPing {
			m = ptr(ping)
		}
		if w.H2Out.Frames[k] == 0 {
			continue
		}
		rows = append(rows, row("http2_"+k.String(), "out", "bytes", hb.of(w.H2Out.FrameBytes(k)), m))
	}
	return rows
}

// names of a client kind's layers.
type names struct{ message, envelope, framing, endStream string }

func layerNames(c ConfigEcho) names {
	n := names{message: "protobuf", envelope: "grpc_prefix", framing: "http2_data_frame_header", endStream: "end_of_stream"}
	if c.Codec == "json" {
		n.message = "json"
	}
	switch c.Protocol {
	case "connect":
		n.envelope, n.endStream = "connect_envelope", "connect_end_stream"
	case "grpc-web":
		n.envelope, n.endStream = "grpc_web_envelope", "grpc_web_trailers"
	}
	if c.HTTP == "1.1" {
		n.framing = "http1_chunk_framing"
	}
	return n
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

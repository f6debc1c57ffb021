package report

import "galaxy/galaxyctl/internal/loadgen/wire"

// layers sets each measured layer beside the model, in the order of
// DESIGN.md's table, then what the client sends back.
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
	otherIn := w.H2In.AllFrameBytes() - w.H2In.FrameBytes(wire.KindData)
	rows := []LayerRow{
		row("protobuf", "in", "bytes", b.ProtobufPerHeartbeat, ptr(model.Message)),
		row("grpc_prefix", "in", "bytes", b.GRPCPrefixPerHeartbeat, ptr(model.Envelope)),
		row("http2_data_frame_header", "in", "bytes", b.HTTP2FrameHeaderPerHeartbeat, ptr(model.Framing)),
	}
	if w.H2In.DataPadding > 0 {
		rows = append(rows, row("http2_data_padding", "in", "bytes", hb.of(w.H2In.DataPadding), ptr(0)))
	}
	rows = append(rows, row("http2_other_frames", "in", "bytes", hb.of(otherIn), ptr(0)))
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
	for k := range wire.NumKinds {
		if w.H2Out.Frames[k] == 0 {
			continue
		}
		rows = append(rows, row("http2_"+k.String(), "out", "bytes", hb.of(w.H2Out.FrameBytes(k)), nil))
	}
	if r.Config.TLS {
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

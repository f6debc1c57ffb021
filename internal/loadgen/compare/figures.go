package compare

import (
	"strconv"

	"galaxy/galaxyctl/internal/loadgen/report"
)

// figure is one report figure a comparison shows.
type figure struct {
	key  string
	unit string
	get  func(*report.Report) report.Figure
}

func f64(v float64) report.Figure { return report.Figure(v) }

// server returns a server memory figure, missing when the server's
// metrics were not read (the report has 0 there).
func server(get func(*report.MemoryReport) float64) func(*report.Report) report.Figure {
	return func(r *report.Report) report.Figure {
		if !r.Memory.ServerAvailable {
			return report.Missing
		}
		return f64(get(&r.Memory))
	}
}

// sections lists the figures of each section, in the order printed;
// layers and the projection's scales are added from the reports' rows.
var sections = []struct {
	name    string
	figures []figure
}{
	{"bytes", []figure{
		{"bytes.ip_per_heartbeat", UnitBytes, func(r *report.Report) report.Figure { return r.Bytes.IPPerHeartbeat }},
		{"bytes.ip_in_per_heartbeat", UnitBytes, func(r *report.Report) report.Figure { return r.Bytes.IPInPerHeartbeat }},
		{"bytes.ip_out_per_heartbeat", UnitBytes, func(r *report.Report) report.Figure { return r.Bytes.IPOutPerHeartbeat }},
		{"bytes.socket_in_per_heartbeat", UnitBytes, func(r *report.Report) report.Figure { return r.Bytes.SocketInPerHeartbeat }},
		{"bytes.socket_out_per_heartbeat", UnitBytes, func(r *report.Report) report.Figure { return r.Bytes.SocketOutPerHeartbeat }},
		{"bytes.client_replies_per_heartbeat", UnitBytes, func(r *report.Report) report.Figure { return r.Bytes.ClientRepliesPerHeartbeat }},
		{"bytes.server_pings_per_heartbeat", UnitBytes, func(r *report.Report) report.Figure { return r.Bytes.ServerPingsPerHeartbeat }},
		{"bytes.tls_overhead_in_per_heartbeat", UnitBytes, func(r *report.Report) report.Figure { return r.Bytes.TLSOverheadInPerHeartbeat }},
		{"bytes.tls_overhead_out_per_heartbeat", UnitBytes, func(r *report.Report) report.Figure { return r.Bytes.TLSOverheadOutPerHeartbeat }},
	}},
	{"segments", []figure{
		{"segments.per_heartbeat", UnitSegments, func(r *report.Report) report.Figure { return r.Segments.PerHeartbeat }},
		{"segments.in_per_heartbeat", UnitSegments, func(r *report.Report) report.Figure { return r.Segments.InPerHeartbeat }},
		{"segments.out_per_heartbeat", UnitSegments, func(r *report.Report) report.Figure { return r.Segments.OutPerHeartbeat }},
		{"segments.pure_ack_in_per_heartbeat", UnitSegments, func(r *report.Report) report.Figure { return r.Segments.PureAckInPerHeartbeat }},
		{"segments.pure_ack_out_per_heartbeat", UnitSegments, func(r *report.Report) report.Figure { return r.Segments.PureAckOutPerHeartbeat }},
	}},
	{"heartbeats", []figure{
		{"heartbeats.per_second", UnitRate, func(r *report.Report) report.Figure { return r.Heartbeats.PerSecond }},
		{"heartbeats.interval_ms", UnitMillis, func(r *report.Report) report.Figure { return f64(r.Heartbeats.IntervalMS) }},
		{"heartbeats.gap_p50_ms", UnitMillis, func(r *report.Report) report.Figure { return f64(r.Heartbeats.GapP50MS) }},
		{"heartbeats.gap_p99_ms", UnitMillis, func(r *report.Report) report.Figure { return f64(r.Heartbeats.GapP99MS) }},
		{"heartbeats.gap_max_ms", UnitMillis, func(r *report.Report) report.Figure { return f64(r.Heartbeats.GapMaxMS) }},
		{"heartbeats.late", UnitCount, func(r *report.Report) report.Figure { return f64(float64(r.Heartbeats.Late)) }},
		{"heartbeats.missed", UnitCount, func(r *report.Report) report.Figure { return f64(float64(r.Heartbeats.Missed)) }},
	}},
	{"memory", []figure{
		{"memory.client_bytes_per_stream", UnitMemory, func(r *report.Report) report.Figure { return f64(r.Memory.ClientBytesPerStream) }},
		{"memory.client_heap_per_stream", UnitMemory, func(r *report.Report) report.Figure { return f64(r.Memory.ClientHeapPerStream) }},
		{"memory.client_stack_per_stream", UnitMemory, func(r *report.Report) report.Figure { return f64(r.Memory.ClientStackPerStream) }},
		{"memory.client_goroutines_per_stream", UnitRatio, func(r *report.Report) report.Figure { return f64(r.Memory.ClientGoroutinesPerStream) }},
		{"memory.server_bytes_per_stream", UnitMemory, server(func(m *report.MemoryReport) float64 { return m.ServerBytesPerStream })},
		{"memory.server_heap_per_stream", UnitMemory, server(func(m *report.MemoryReport) float64 { return m.ServerHeapPerStream })},
		{"memory.server_goroutines_per_stream", UnitRatio, server(func(m *report.MemoryReport) float64 { return m.ServerGoroutinesPerStream })},
	}},
	{"projection", []figure{
		{"projection.bytes_per_client_day", UnitBytesPerDay, func(r *report.Report) report.Figure { return r.Projection.BytesPerClientDay }},
		{"projection.model_bytes_per_client_day", UnitBytesPerDay, func(r *report.Report) report.Figure { return f64(r.Projection.ModelBytesPerClientDay) }},
	}},
	{"clients", []figure{
		{"clients.connected", UnitCount, func(r *report.Report) report.Figure { return f64(float64(r.Clients.Connected)) }},
		{"clients.failed", UnitCount, func(r *report.Report) report.Figure { return f64(float64(r.Clients.Failed)) }},
		{"clients.connect_failures", UnitCount, func(r *report.Report) report.Figure { return f64(float64(r.Clients.ConnectFailures)) }},
		{"clients.streams_ended", UnitCount, func(r *report.Report) report.Figure { return f64(float64(r.Clients.StreamsEnded)) }},
	}},
}

// figures is every row of the comparison, section by section; layers come
// after the bytes, the scales at the end of the projection.
func figures(base, next *report.Report) []Row {
	var rows []Row
	for _, s := range sections {
		for _, f := range s.figures {
			rows = append(rows, row(s.name, f.key, f.key[len(s.name)+1:], f.unit, f.get(base), f.get(next)))
		}
		switch s.name {
		case "bytes":
			rows = append(rows, layerRows(base, next)...)
		case "projection":
			rows = append(rows, scaleRows(base, next)...)
		}
	}
	return rows
}

// layerRows pairs the layer rows of both reports by layer, direction and
// unit, in the base's order, then the new report's own; a layer one run
// does not have is missing on its side.
func layerRows(base, next *report.Report) []Row {
	type id struct{ layer, dir, unit string }
	find := func(rows []report.LayerRow, k id) report.Figure {
		for _, l := range rows {
			if (id{l.Layer, l.Direction, l.Unit}) == k {
				return l.Measured
			}
		}
		return report.Missing
	}
	var out []Row
	seen := map[id]bool{}
	for _, rows := range [][]report.LayerRow{base.Layers, next.Layers} {
		for _, l := range rows {
			k := id{l.Layer, l.Direction, l.Unit}
			if seen[k] {
				continue
			}
			seen[k] = true
			unit := UnitBytes
			if l.Unit == "segments" {
				unit = UnitSegments
			}
			out = append(out, row("layers", "layers."+l.Layer+"."+l.Direction, l.Layer+" "+l.Direction,
				unit, find(base.Layers, k), find(next.Layers, k)))
		}
	}
	return out
}

// scaleRows pairs the projection's fleet sizes.
func scaleRows(base, next *report.Report) []Row {
	find := func(r *report.Report, clients int) (report.ScaleRow, bool) {
		for _, s := range r.Projection.Scales {
			if s.Clients == clients {
				return s, true
			}
		}
		return report.ScaleRow{}, false
	}
	var out []Row
	seen := map[int]bool{}
	for _, r := range []*report.Report{base, next} {
		for _, s := range r.Projection.Scales {
			if seen[s.Clients] {
				continue
			}
			seen[s.Clients] = true
			b, bok := find(base, s.Clients)
			n, nok := find(next, s.Clients)
			if !bok {
				b = report.ScaleRow{BytesPerDay: report.Missing, MbitPerS: report.Missing}
			}
			if !nok {
				n = report.ScaleRow{BytesPerDay: report.Missing, MbitPerS: report.Missing}
			}
			c := strconv.Itoa(s.Clients)
			out = append(out,
				row("projection", "projection.scales."+c+".bytes_per_day", c+" clients bytes_per_day", UnitBytesPerDay, b.BytesPerDay, n.BytesPerDay),
				row("projection", "projection.scales."+c+".mbit_per_s", c+" clients mbit_per_s", UnitMbitPerS, b.MbitPerS, n.MbitPerS))
		}
	}
	return out
}

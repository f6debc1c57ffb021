// Package livemetrics exposes a running bench's figures as OpenTelemetry
// instruments, for Prometheus (internal/telemetry) and Grafana to watch a
// long run: clients by state, the phase, the socket bytes each way, the
// bytes per heartbeat by layer and direction beside the model, segments
// per heartbeat, and memory. Every figure comes from the engine's
// snapshots and their live report, so the metrics say what the live view
// and the report say. The engine's own instruments (heartbeats, connect
// failures, streams ended, the gap histogram) sit beside them on the
// same meter provider.
package livemetrics

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"galaxy/galaxyctl/internal/loadgen"
	"galaxy/galaxyctl/internal/loadgen/report"
)

// Metric names, as Prometheus shows them (counters gain _total).
const (
	ClientsName             = "galaxy_bench_clients"
	PhaseName               = "galaxy_bench_phase"
	SocketBytesName         = "galaxy_bench_socket_bytes"
	HeartbeatBytesName      = "galaxy_bench_heartbeat_bytes"
	HeartbeatModelBytesName = "galaxy_bench_heartbeat_model_bytes"
	HeartbeatSegmentsName   = "galaxy_bench_heartbeat_segments"
	ServerMemoryName        = "galaxy_bench_server_memory_bytes"
	MemoryPerStreamName     = "galaxy_bench_memory_per_stream_bytes"
)

// Metrics holds the latest snapshot for the instruments' callback.
type Metrics struct {
	mu   sync.Mutex
	last loadgen.Snapshot
	seen bool
	reg  metric.Registration
}

type instruments struct {
	clients, phase, layerBytes, modelBytes, segments, serverMem, perStream metric.Float64ObservableGauge
	socketBytes                                                            metric.Int64ObservableCounter
}

// New registers bench's live instruments on m. Call Observe with each
// snapshot, and Close at the end.
func New(m metric.Meter) (*Metrics, error) {
	var in instruments
	var errs []error
	gauge := func(name, desc, unit string) metric.Float64ObservableGauge {
		g, err := m.Float64ObservableGauge(name, metric.WithDescription(desc), metric.WithUnit(unit))
		errs = append(errs, err)
		return g
	}
	in.clients = gauge(ClientsName, "Simulated clients by state: pending (not yet connected), active, ended (by the server or the network), failed (gave up connecting).", "1")
	in.phase = gauge(PhaseName, "1 for the phase bench is in (ramp, warmup, measure, done), 0 for the others.", "1")
	in.layerBytes = gauge(HeartbeatBytesName, "Bytes per heartbeat by layer and direction, measured over the current phase so far.", "By")
	in.modelBytes = gauge(HeartbeatModelBytesName, "Bytes per heartbeat by layer of the wire-cost model (server to client).", "By")
	in.segments = gauge(HeartbeatSegmentsName, "TCP segments per heartbeat by direction over the current phase so far.", "1")
	in.serverMem = gauge(ServerMemoryName, "The gateway's memory as its /metrics last said: rss or heap.", "By")
	in.perStream = gauge(MemoryPerStreamName, "Memory per stream of bench and of the server, rss or heap, after the warm-up (live: so far).", "By")
	var err error
	in.socketBytes, err = m.Int64ObservableCounter(SocketBytesName,
		metric.WithDescription("Bytes read (in) and written (out) on every simulated client socket since bench started."), metric.WithUnit("By"))
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("bench live metrics: %w", err)
	}
	x := &Metrics{}
	x.reg, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		x.observe(o, &in)
		return nil
	}, in.clients, in.phase, in.layerBytes, in.modelBytes, in.segments, in.serverMem, in.perStream, in.socketBytes)
	if err != nil {
		return nil, fmt.Errorf("bench live metrics: %w", err)
	}
	return x, nil
}

// Observe keeps s for the next collection. It is cheap: bench calls it
// with every snapshot.
func (x *Metrics) Observe(s loadgen.Snapshot) {
	x.mu.Lock()
	x.last, x.seen = s, true
	x.mu.Unlock()
}

// Close unregisters the instruments' callback.
func (x *Metrics) Close() error { return x.reg.Unregister() }

var phases = []report.Phase{report.PhaseRamp, report.PhaseWarmup, report.PhaseMeasure, report.PhaseDone}

func (x *Metrics) observe(o metric.Observer, in *instruments) {
	x.mu.Lock()
	s, seen := x.last, x.seen
	x.mu.Unlock()
	if !seen {
		return
	}
	attr := func(kv ...string) metric.ObserveOption {
		as := make([]attribute.KeyValue, 0, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			as = append(as, attribute.String(kv[i], kv[i+1]))
		}
		return metric.WithAttributes(as...)
	}
	pending := s.Target - s.Connected - s.Failed
	for state, n := range map[string]int{"pending": pending, "active": s.Active, "ended": s.Ended, "failed": s.Failed} {
		o.ObserveFloat64(in.clients, float64(n), attr("state", state))
	}
	for _, p := range phases {
		v := 0.0
		if p == s.Phase {
			v = 1
		}
		o.ObserveFloat64(in.phase, v, attr("phase", string(p)))
	}
	tls := s.Config.TLS
	o.ObserveInt64(in.socketBytes, int64(s.Counters.SocketIn(tls)), attr("direction", "in"))
	o.ObserveInt64(in.socketBytes, int64(s.Counters.SocketOut(tls)), attr("direction", "out"))
	if s.Report == nil {
		return
	}
	r := s.Report
	for _, st := range report.Stacks(r) {
		for _, l := range st.Measured {
			if l.Bytes.OK() {
				o.ObserveFloat64(in.layerBytes, float64(l.Bytes), attr("direction", st.Direction, "layer", l.Layer))
			}
		}
		for _, l := range st.Model {
			o.ObserveFloat64(in.modelBytes, float64(l.Bytes), attr("direction", st.Direction, "layer", l.Layer))
		}
	}
	for dir, f := range map[string]report.Figure{"in": r.Segments.InPerHeartbeat, "out": r.Segments.OutPerHeartbeat} {
		if f.OK() {
			o.ObserveFloat64(in.segments, float64(f), attr("direction", dir))
		}
	}
	m := &r.Memory
	o.ObserveFloat64(in.perStream, m.ClientBytesPerStream, attr("process", "bench", "kind", "rss"))
	o.ObserveFloat64(in.perStream, m.ClientHeapPerStream, attr("process", "bench", "kind", "heap"))
	if m.ServerAvailable {
		o.ObserveFloat64(in.serverMem, m.ServerRSSAfter, attr("kind", "rss"))
		o.ObserveFloat64(in.serverMem, m.ServerHeapAfter, attr("kind", "heap"))
		o.ObserveFloat64(in.perStream, m.ServerBytesPerStream, attr("process", "server", "kind", "rss"))
		o.ObserveFloat64(in.perStream, m.ServerHeapPerStream, attr("process", "server", "kind", "heap"))
	}
}

package loadgen

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// meterName is the instrumentation scope of bench's instruments.
const meterName = "galaxy/galaxyctl/internal/loadgen"

// Instrument names; Prometheus adds _total to counters.
const (
	heartbeatsName      = "galaxy_bench_heartbeats"
	connectFailuresName = "galaxy_bench_connect_failures"
	streamsEndedName    = "galaxy_bench_streams_ended"
	activeStreamsName   = "galaxy_bench_active_streams"
)

type instruments struct {
	heartbeats      metric.Int64Counter
	connectFailures metric.Int64Counter
	streamsEnded    metric.Int64Counter
	activeStreams   metric.Int64UpDownCounter
}

func newInstruments(m metric.Meter) (instruments, error) {
	var in instruments
	var err error
	if in.heartbeats, err = m.Int64Counter(heartbeatsName,
		metric.WithDescription("Heartbeats received by bench's simulated clients.")); err != nil {
		return in, fmt.Errorf("counter %s: %w", heartbeatsName, err)
	}
	if in.connectFailures, err = m.Int64Counter(connectFailuresName,
		metric.WithDescription("Failed connect attempts of simulated clients, by gRPC code.")); err != nil {
		return in, fmt.Errorf("counter %s: %w", connectFailuresName, err)
	}
	if in.streamsEnded, err = m.Int64Counter(streamsEndedName,
		metric.WithDescription("Simulated client streams ended before the run did, by gRPC code.")); err != nil {
		return in, fmt.Errorf("counter %s: %w", streamsEndedName, err)
	}
	if in.activeStreams, err = m.Int64UpDownCounter(activeStreamsName,
		metric.WithDescription("Simulated client streams currently open.")); err != nil {
		return in, fmt.Errorf("updowncounter %s: %w", activeStreamsName, err)
	}
	return in, nil
}

func codeAttr(code string) metric.AddOption {
	return metric.WithAttributes(attribute.String("code", code))
}

func (in instruments) heartbeat() { in.heartbeats.Add(context.Background(), 1) }

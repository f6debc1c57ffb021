package gateway

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Instrument names; Prometheus adds _total to counters. bench scrapes
// activeStreamsName, so these names are part of galaxyctl's contract.
const (
	activeStreamsName = "galaxy_gateway_active_streams"
	heartbeatsName    = "galaxy_gateway_heartbeats"
	dispatchedName    = "galaxy_gateway_events_dispatched"
	sentName          = "galaxy_gateway_events_sent"
	dropsName         = "galaxy_gateway_slow_client_drops"
)

// HeartbeatCounter creates the galaxy_gateway_heartbeats counter that
// HeartbeatConfig.Counter expects, on m.
func HeartbeatCounter(m metric.Meter) (metric.Int64Counter, error) {
	c, err := m.Int64Counter(heartbeatsName,
		metric.WithDescription("Heartbeats sent on idle client streams, by outcome (sent or error)."))
	if err != nil {
		return nil, fmt.Errorf("counter %s: %w", heartbeatsName, err)
	}
	return c, nil
}

type instruments struct {
	active     metric.Int64UpDownCounter
	heartbeats metric.Int64Counter
	dispatched metric.Int64Counter
	sent       metric.Int64Counter
	drops      metric.Int64Counter
}

func newInstruments(m metric.Meter) (instruments, error) {
	var in instruments
	var err error
	if in.active, err = m.Int64UpDownCounter(activeStreamsName,
		metric.WithDescription("Client Subscribe streams currently open.")); err != nil {
		return in, fmt.Errorf("updown counter %s: %w", activeStreamsName, err)
	}
	if in.heartbeats, err = HeartbeatCounter(m); err != nil {
		return in, err
	}
	counters := []struct {
		c    *metric.Int64Counter
		name string
		desc string
	}{
		{&in.dispatched, dispatchedName, "Events received from the backend for fan-out."},
		{&in.sent, sentName, "Events sent to client streams (heartbeats not included)."},
		{&in.drops, dropsName, "Client streams ended with ResourceExhausted because their queue was full."},
	}
	for _, c := range counters {
		if *c.c, err = m.Int64Counter(c.name, metric.WithDescription(c.desc)); err != nil {
			return in, fmt.Errorf("counter %s: %w", c.name, err)
		}
	}
	// Export every series from the start: a scrape before the first
	// client (bench's baseline) must read 0, not find nothing.
	ctx := context.Background()
	in.active.Add(ctx, 0)
	in.dispatched.Add(ctx, 0)
	in.sent.Add(ctx, 0)
	in.drops.Add(ctx, 0)
	for _, o := range []string{"sent", "error"} {
		in.heartbeats.Add(ctx, 0, metric.WithAttributes(attribute.String("outcome", o)))
	}
	return in, nil
}

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
	pacedName         = "galaxy_gateway_paced_seconds"
)

// dropReasons are the values of the drops counter's reason attribute.
var dropReasons = []string{"stalled", "held", "left_window"}

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
	paced      metric.Float64Counter
	// dropAttrs holds one attribute set per reason, built once.
	dropAttrs map[string]metric.AddOption
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
	if in.paced, err = m.Float64Counter(pacedName, metric.WithUnit("s"),
		metric.WithDescription("Time Dispatch waited for the slowest clients because the window was full of events they had still to be sent.")); err != nil {
		return in, fmt.Errorf("counter %s: %w", pacedName, err)
	}
	counters := []struct {
		c    *metric.Int64Counter
		name string
		desc string
	}{
		{&in.dispatched, dispatchedName, "Events received from the backend for fan-out."},
		{&in.sent, sentName, "Events sent to client streams (heartbeats not included)."},
		{&in.drops, dropsName, "Client streams ended with ResourceExhausted as too slow, by reason: stalled (accepted no event for the slow-client timeout), held (the gateway waited that long on it)."},
	}
	for _, c := range counters {
		if *c.c, err = m.Int64Counter(c.name, metric.WithDescription(c.desc)); err != nil {
			return in, fmt.Errorf("counter %s: %w", c.name, err)
		}
	}
	in.dropAttrs = make(map[string]metric.AddOption, len(dropReasons))
	for _, r := range dropReasons {
		in.dropAttrs[r] = metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", r)))
	}
	// Export every series from the start: a scrape before the first
	// client (bench's baseline) must read 0, not find nothing.
	ctx := context.Background()
	in.active.Add(ctx, 0)
	in.dispatched.Add(ctx, 0)
	in.sent.Add(ctx, 0)
	in.paced.Add(ctx, 0)
	for _, r := range dropReasons {
		in.drops.Add(ctx, 0, in.dropAttrs[r])
	}
	for _, o := range []string{"sent", "error"} {
		in.heartbeats.Add(ctx, 0, metric.WithAttributes(attribute.String("outcome", o)))
	}
	return in, nil
}

// drop counts one slow client dropped for reason.
func (in instruments) drop(reason string) {
	in.drops.Add(context.Background(), 1, in.dropAttrs[reason])
}

package subscribe

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"google.golang.org/grpc/codes"
)

// meterName is the instrumentation scope of the subscriber's instruments.
const meterName = "galaxy/galaxyctl/internal/subscribe"

// Instrument names; Prometheus adds _total to counters.
const (
	reconnectsName = "galaxy_subscriber_reconnects"
	eventsName     = "galaxy_subscriber_events"
)

type instruments struct {
	reconnects metric.Int64Counter
	events     metric.Int64Counter
}

func newInstruments(m metric.Meter) (instruments, error) {
	reconnects, err := m.Int64Counter(reconnectsName,
		metric.WithDescription("Reconnects of the push subscription, by the gRPC code that ended the previous stream (OK: the backend ended it)."))
	if err != nil {
		return instruments{}, fmt.Errorf("counter %s: %w", reconnectsName, err)
	}
	events, err := m.Int64Counter(eventsName,
		metric.WithDescription("Push events whose handler returned without error."))
	if err != nil {
		return instruments{}, fmt.Errorf("counter %s: %w", eventsName, err)
	}
	return instruments{reconnects: reconnects, events: events}, nil
}

func (in instruments) reconnected(ctx context.Context, c codes.Code) {
	in.reconnects.Add(ctx, 1, metric.WithAttributes(attribute.String("code", c.String())))
}

func (in instruments) handled(ctx context.Context) {
	in.events.Add(ctx, 1)
}

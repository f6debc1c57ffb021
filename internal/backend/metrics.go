package backend

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// meterName is the instrumentation scope of the no-op default meter.
const meterName = "galaxy/galaxyctl/internal/backend"

// Instrument names; Prometheus adds _total to counters.
const (
	publishedName = "galaxy_backend_events_published"
	ringName      = "galaxy_backend_ring_events"
	evictedName   = "galaxy_backend_evicted_events"
	subsName      = "galaxy_backend_subscriptions"
	replaysName   = "galaxy_backend_replays"
	dropsName     = "galaxy_backend_slow_subscriber_drops"
	replacedName  = "galaxy_backend_replaced_subscriptions"
)

// Attribute values, kept as prebuilt options so recording allocates nothing.
var (
	evictedByAge   = metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", "age")))
	evictedByCount = metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", "count")))
)

type instruments struct {
	published metric.Int64Counter
	ring      metric.Int64ObservableGauge
	evicted   metric.Int64Counter
	subs      metric.Int64UpDownCounter
	replays   metric.Int64Counter
	drops     metric.Int64Counter
	replaced  metric.Int64Counter
}

func newInstruments(m metric.Meter) (instruments, error) {
	var in instruments
	var err error
	wrap := func(name string, e error) error { return fmt.Errorf("instrument %s: %w", name, e) }
	if in.published, err = m.Int64Counter(publishedName,
		metric.WithDescription("Events appended to the ring.")); err != nil {
		return in, wrap(publishedName, err)
	}
	if in.ring, err = m.Int64ObservableGauge(ringName,
		metric.WithDescription("Events currently in the ring, after evicting the expired ones.")); err != nil {
		return in, wrap(ringName, err)
	}
	if in.evicted, err = m.Int64Counter(evictedName,
		metric.WithDescription("Events evicted from the ring, by reason: age (older than the freshness window) or count (the ring was full).")); err != nil {
		return in, wrap(evictedName, err)
	}
	if in.subs, err = m.Int64UpDownCounter(subsName,
		metric.WithDescription("Live SubscribePush streams.")); err != nil {
		return in, wrap(subsName, err)
	}
	if in.replays, err = m.Int64Counter(replaysName,
		metric.WithDescription("Streams that started with a replay from the ring, by start: oldest (from_start), resume (after a cursor) or reset (the cursor could not be resumed).")); err != nil {
		return in, wrap(replaysName, err)
	}
	if in.drops, err = m.Int64Counter(dropsName,
		metric.WithDescription("Streams ended with ResourceExhausted because the subscriber fell too far behind.")); err != nil {
		return in, wrap(dropsName, err)
	}
	if in.replaced, err = m.Int64Counter(replacedName,
		metric.WithDescription("Streams ended with Aborted because a newer subscription used the same gateway_client_id.")); err != nil {
		return in, wrap(replacedName, err)
	}
	// Export every series from the start, so dashboards and bench read 0
	// rather than nothing before the first event.
	ctx := context.Background()
	in.published.Add(ctx, 0)
	in.subs.Add(ctx, 0)
	in.drops.Add(ctx, 0)
	in.replaced.Add(ctx, 0)
	return in, nil
}

func (in instruments) evictedAge(n int) {
	if n > 0 {
		in.evicted.Add(context.Background(), int64(n), evictedByAge)
	}
}

func (in instruments) evictedCount(n int) {
	if n > 0 {
		in.evicted.Add(context.Background(), int64(n), evictedByCount)
	}
}

func (in instruments) replayed(start string) {
	in.replays.Add(context.Background(), 1, metric.WithAttributes(attribute.String("start", start)))
}

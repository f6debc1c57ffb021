package backend

import (
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"

	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

func TestMetrics(t *testing.T) {
	ctx := testContext(t)
	h := newHarness(t, Config{MaxEvents: 3, MaxAge: time.Minute})
	h.publishN(ctx, 5)
	h.subscribe(ctx, &pushv1.GatewaySubscribeRequest{GatewayClientId: "a", FromStart: true})
	h.subscribe(ctx, &pushv1.GatewaySubscribeRequest{GatewayClientId: "b", Cursor: cursorOf(4)})
	h.subscribe(ctx, &pushv1.GatewaySubscribeRequest{GatewayClientId: "c", Cursor: cursorOf(1)})
	h.subscribe(ctx, &pushv1.GatewaySubscribeRequest{GatewayClientId: "d"})

	checks := []struct {
		name  string
		attrs []attribute.KeyValue
		want  int64
	}{
		{publishedName, nil, 5},
		{ringName, nil, 3},
		{evictedName, []attribute.KeyValue{attribute.String("reason", "count")}, 2},
		{evictedName, []attribute.KeyValue{attribute.String("reason", "age")}, 0},
		{subsName, nil, 4},
		{replaysName, []attribute.KeyValue{attribute.String("start", pushv1.StartOldest)}, 1},
		{replaysName, []attribute.KeyValue{attribute.String("start", pushv1.StartResume)}, 1},
		{replaysName, []attribute.KeyValue{attribute.String("start", pushv1.StartReset)}, 1},
		{replaysName, []attribute.KeyValue{attribute.String("start", pushv1.StartLive)}, 0},
		{dropsName, nil, 0},
		{replacedName, nil, 0},
	}
	for _, c := range checks {
		if got := h.metric(c.name, c.attrs...); got != c.want {
			t.Errorf("%s%v = %d, want %d", c.name, c.attrs, got, c.want)
		}
	}

	// With nothing published or read, a scrape alone must see the ring
	// empty once its events are older than MaxAge.
	h.clock.Advance(time.Minute)
	if got := h.metric(ringName); got != 0 {
		t.Errorf("%s after MaxAge = %d, want 0", ringName, got)
	}
	if got := h.metric(evictedName, attribute.String("reason", "age")); got != 3 {
		t.Errorf("%s{reason=age} after MaxAge = %d, want 3", evictedName, got)
	}
}

package telemetry

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestMetricsEndpoint(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p, err := New()
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	defer p.Shutdown(ctx)
	m := p.Meter("test")
	c, _ := m.Int64Counter("galaxy_gateway_heartbeats")
	c.Add(ctx, 3, metric.WithAttributes(attribute.String("outcome", "sent")))
	g, _ := m.Int64UpDownCounter("galaxy_gateway_active_streams")
	g.Add(ctx, 7)
	// Units stay out of the names.
	b, _ := m.Int64Counter("galaxy_test_sent", metric.WithUnit("By"))
	b.Add(ctx, 5)
	h, _ := m.Float64Histogram("galaxy_test_wait", metric.WithUnit("s"), metric.WithExplicitBucketBoundaries(1))
	h.Record(ctx, 0.5)

	srv, err := Listen("127.0.0.1:0", p)
	if err != nil {
		t.Fatalf("Listen() error = %v", err)
	}
	defer srv.Close(ctx)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+srv.Addr()+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET /metrics error = %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	http.DefaultClient.CloseIdleConnections()
	for _, want := range []string{
		`galaxy_gateway_heartbeats_total{outcome="sent"} 3`,
		"galaxy_gateway_active_streams 7",
		"galaxy_test_sent_total 5",
		`galaxy_test_wait_bucket{le="1"} 1`,
		"galaxy_test_wait_count 1",
		"process_resident_memory_bytes ",
		"go_goroutines ",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("GET /metrics lacks %q; got:\n%s", want, body)
		}
	}
}

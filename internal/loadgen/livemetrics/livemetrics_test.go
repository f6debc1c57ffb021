package livemetrics

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"galaxy/galaxyctl/internal/loadgen"
	"galaxy/galaxyctl/internal/loadgen/report"
	"galaxy/galaxyctl/internal/loadgen/report/reporttest"
	"galaxy/galaxyctl/internal/telemetry"
)

func scrape(t *testing.T, p *telemetry.Provider) string {
	t.Helper()
	rec := httptest.NewRecorder()
	p.Handler().ServeHTTP(rec, httptest.NewRequestWithContext(context.Background(), "GET", "/metrics", nil))
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

func TestMetricsScrape(t *testing.T) {
	p, err := telemetry.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Shutdown(context.Background()) })
	x, err := New(p.Meter("test"))
	if err != nil {
		t.Fatal(err)
	}
	if out := scrape(t, p); strings.Contains(out, ClientsName) {
		t.Errorf("scrape before any snapshot shows %s, want nothing yet", ClientsName)
	}
	m := reporttest.WithReplies(reporttest.H2C())
	m.ServerBefore = &report.ServerSample{RSS: 1e6, HasRSS: true, Heap: 5e5, HasHeap: true}
	m.ServerAfter = &report.ServerSample{RSS: 2e6, HasRSS: true, Heap: 9e5, HasHeap: true}
	s := loadgen.Snapshot{Phase: loadgen.PhaseMeasure, Target: 10, Connected: 8, Failed: 1, Active: 7, Ended: 1,
		Report: report.Build(m)}
	s.Counters.H2In.Bytes, s.Counters.H2Out.Bytes = 12345, 678
	x.Observe(s)
	out := scrape(t, p)
	for _, want := range []string{
		`galaxy_bench_clients{state="active"} 7`,
		`galaxy_bench_clients{state="pending"} 1`,
		`galaxy_bench_clients{state="ended"} 1`,
		`galaxy_bench_clients{state="failed"} 1`,
		`galaxy_bench_phase{phase="measure"} 1`,
		`galaxy_bench_phase{phase="ramp"} 0`,
		`galaxy_bench_socket_bytes_total{direction="in"} 12345`,
		`galaxy_bench_socket_bytes_total{direction="out"} 678`,
		`galaxy_bench_heartbeat_bytes{direction="in",layer="protobuf"} 19`,
		`galaxy_bench_heartbeat_bytes{direction="in",layer="http_other"} 17`,
		`galaxy_bench_heartbeat_bytes{direction="out",layer="client_replies"} 30`,
		`galaxy_bench_heartbeat_bytes{direction="out",layer="pure_acks"} 52`,
		`galaxy_bench_heartbeat_model_bytes{direction="in",layer="tcp_ip_headers"} 52`,
		`galaxy_bench_heartbeat_segments{direction="in"} 2`,
		`galaxy_bench_server_memory_bytes{kind="rss"} 2e+06`,
		`galaxy_bench_memory_per_stream_bytes{kind="rss",process="server"} 100000`,
		`# HELP galaxy_bench_clients Simulated clients by state`,
		`# TYPE galaxy_bench_socket_bytes_total counter`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("scrape lacks %q:\n%s", want, out)
		}
	}
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	if out := scrape(t, p); strings.Contains(out, ClientsName) {
		t.Errorf("scrape after Close shows %s, want it gone", ClientsName)
	}
}

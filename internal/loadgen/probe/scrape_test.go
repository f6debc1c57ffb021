package probe

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"galaxy/galaxyctl/internal/loadgen/report"
)

func TestParsePromText(t *testing.T) {
	text := `# HELP go_goroutines Number of goroutines.
# TYPE go_goroutines gauge
go_goroutines 42
go_goroutines_extra 7
galaxy_gateway_active_streams{role="gateway",shard="a"} 10
galaxy_gateway_active_streams{role="gateway",shard="b, {x}"} 5 1700000000000
process_resident_memory_bytes 1.5e+07
`
	got, err := parsePromText(strings.NewReader(text), report.MetricGoroutines, report.MetricActiveStreams, report.MetricRSS, report.MetricHeapInuse)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{report.MetricGoroutines: 42, report.MetricActiveStreams: 15, report.MetricRSS: 1.5e7}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("parsePromText() = %v, want %v", got, want)
	}
	if _, err := parsePromText(strings.NewReader("go_goroutines abc\n"), report.MetricGoroutines); err == nil {
		t.Errorf("parsePromText(bad value) error = nil, want one")
	}
}

func TestScrapeServerHeapFallback(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "go_memory_classes_heap_objects_bytes 123")
		fmt.Fprintln(w, "process_resident_memory_bytes 456")
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := ScrapeServer(ctx, srv.Client(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if !s.HasHeap || s.Heap != 123 || s.HeapMetric != report.MetricHeapObjects || !s.HasRSS || s.RSS != 456 || s.HasActiveStreams {
		t.Errorf("ScrapeServer() = %+v, want heap 123 from %s, rss 456, no streams", s, report.MetricHeapObjects)
	}

	bad := httptest.NewServer(http.NotFoundHandler())
	defer bad.Close()
	if _, err := ScrapeServer(ctx, bad.Client(), bad.URL); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("ScrapeServer(404) error = %v, want one naming the status", err)
	}
}

package loadgen

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
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
	got, err := parsePromText(strings.NewReader(text), metricGoroutines, metricActiveStreams, metricRSS, metricHeapInuse)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{metricGoroutines: 42, metricActiveStreams: 15, metricRSS: 1.5e7}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("parsePromText() = %v, want %v", got, want)
	}
	if _, err := parsePromText(strings.NewReader("go_goroutines abc\n"), metricGoroutines); err == nil {
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
	s, err := scrapeServer(ctx, srv.Client(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if !s.HasHeap || s.Heap != 123 || s.HeapMetric != metricHeapObjects || !s.HasRSS || s.RSS != 456 || s.HasActiveStreams {
		t.Errorf("scrapeServer() = %+v, want heap 123 from %s, rss 456, no streams", s, metricHeapObjects)
	}

	bad := httptest.NewServer(http.NotFoundHandler())
	defer bad.Close()
	if _, err := scrapeServer(ctx, bad.Client(), bad.URL); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("scrapeServer(404) error = %v, want one naming the status", err)
	}
}

package loadgen

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Server metric names read from the gateway's /metrics. The heap has two
// spellings: client_golang's memstats collector, or its runtime/metrics
// one; whichever is present is used.
const (
	metricRSS           = "process_resident_memory_bytes"
	metricHeapInuse     = "go_memstats_heap_inuse_bytes"
	metricHeapObjects   = "go_memory_classes_heap_objects_bytes"
	metricGoroutines    = "go_goroutines"
	metricActiveStreams = "galaxy_gateway_active_streams"
)

// serverSample is one scrape of the server's metrics. Has says which of
// them were present.
type serverSample struct {
	RSS, Heap, Goroutines, ActiveStreams float64
	HeapMetric                           string
	HasRSS, HasHeap, HasGoroutines       bool
	HasActiveStreams                     bool
}

// scrapeServer fetches url and reads the server's memory figures.
func scrapeServer(ctx context.Context, c *http.Client, url string) (serverSample, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return serverSample{}, fmt.Errorf("scrape %s: %w", url, err)
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	resp, err := c.Do(req)
	if err != nil {
		return serverSample{}, fmt.Errorf("scrape %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return serverSample{}, fmt.Errorf("scrape %s: status %s", url, resp.Status)
	}
	vals, err := parsePromText(resp.Body, metricRSS, metricHeapInuse, metricHeapObjects, metricGoroutines, metricActiveStreams)
	if err != nil {
		return serverSample{}, fmt.Errorf("scrape %s: %w", url, err)
	}
	var s serverSample
	s.RSS, s.HasRSS = vals[metricRSS]
	s.Goroutines, s.HasGoroutines = vals[metricGoroutines]
	s.ActiveStreams, s.HasActiveStreams = vals[metricActiveStreams]
	if v, ok := vals[metricHeapInuse]; ok {
		s.Heap, s.HasHeap, s.HeapMetric = v, true, metricHeapInuse
	} else if v, ok := vals[metricHeapObjects]; ok {
		s.Heap, s.HasHeap, s.HeapMetric = v, true, metricHeapObjects
	}
	return s, nil
}

// parsePromText reads the Prometheus text format and returns, for each
// wanted metric name present, the sum of its series (a gauge split by
// labels sums to the process's total). Other lines are skipped.
func parsePromText(r io.Reader, names ...string) (map[string]float64, error) {
	want := make(map[string]bool, len(names))
	for _, n := range names {
		want[n] = true
	}
	out := make(map[string]float64)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		end := strings.IndexAny(line, "{ \t")
		if end < 0 {
			continue
		}
		name := line[:end]
		if !want[name] {
			continue
		}
		rest := line[end:]
		if rest[0] == '{' {
			close := strings.LastIndexByte(rest, '}')
			if close < 0 {
				return nil, fmt.Errorf("metric %s: unterminated labels", name)
			}
			rest = rest[close+1:]
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			return nil, fmt.Errorf("metric %s: no value", name)
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			return nil, fmt.Errorf("metric %s: value %q: %w", name, f[0], err)
		}
		out[name] += v
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read metrics: %w", err)
	}
	return out, nil
}

package probe

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"galaxy/galaxyctl/internal/loadgen/report"
)

// ScrapeServer fetches url, a Prometheus /metrics, and reads the server's
// memory figures (report's Metric names).
func ScrapeServer(ctx context.Context, c *http.Client, url string) (report.ServerSample, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return report.ServerSample{}, fmt.Errorf("scrape %s: %w", url, err)
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	resp, err := c.Do(req)
	if err != nil {
		return report.ServerSample{}, fmt.Errorf("scrape %s: %w", url, err)
	}
	defer func() { _ = resp.Body.Close() }() // nothing to act on once read
	if resp.StatusCode != http.StatusOK {
		return report.ServerSample{}, fmt.Errorf("scrape %s: status %s", url, resp.Status)
	}
	vals, err := parsePromText(resp.Body, report.MetricRSS, report.MetricHeapInuse, report.MetricHeapObjects, report.MetricGoroutines, report.MetricActiveStreams)
	if err != nil {
		return report.ServerSample{}, fmt.Errorf("scrape %s: %w", url, err)
	}
	var s report.ServerSample
	s.RSS, s.HasRSS = vals[report.MetricRSS]
	s.Goroutines, s.HasGoroutines = vals[report.MetricGoroutines]
	s.ActiveStreams, s.HasActiveStreams = vals[report.MetricActiveStreams]
	if v, ok := vals[report.MetricHeapInuse]; ok {
		s.Heap, s.HasHeap, s.HeapMetric = v, true, report.MetricHeapInuse
	} else if v, ok := vals[report.MetricHeapObjects]; ok {
		s.Heap, s.HasHeap, s.HeapMetric = v, true, report.MetricHeapObjects
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
			labelsEnd := strings.LastIndexByte(rest, '}')
			if labelsEnd < 0 {
				return nil, fmt.Errorf("metric %s: unterminated labels", name)
			}
			rest = rest[labelsEnd+1:]
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

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// bench gates a run on thresholds (exit 3 with the report printed and
// saved), writes the HTML page and the timeseries, and its saved report
// feeds bench report and bench compare.
func TestBenchThresholdsReportsAndCompare(t *testing.T) {
	ctx := testCtx(t)
	dir := t.TempDir()
	rep, html, csv := filepath.Join(dir, "base.json"), filepath.Join(dir, "base.html"), filepath.Join(dir, "base.csv")
	r := run(t, ctx, "bench", "--clients", "100", "--heartbeat", "100ms", "--warmup", "300ms", "--duration", "1s",
		"--client-window", "static", "--report", rep, "--report-html", html, "--timeseries", csv,
		"--threshold", "bytes.protobuf_per_heartbeat==19", "--threshold", "heartbeats.gap_p99_ms<1s",
		"--threshold", "bytes.ip_per_heartbeat<10B")
	if r.code != 3 {
		t.Fatalf("bench with a failing threshold exit = %d, want 3; stderr:\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"thresholds: 1 of 3 failed\n", "pass    bytes.protobuf_per_heartbeat==19",
		"FAIL    bytes.ip_per_heartbeat<10B", "Error: 1 of 3 thresholds failed: bytes.ip_per_heartbeat<10B\n"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("bench stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if !strings.Contains(r.stdout, "wire cost per heartbeat") {
		t.Errorf("bench stdout lacks the text report:\n%s", r.stdout)
	}
	var saved struct {
		SchemaVersion int `json:"schema_version"`
		Thresholds    []struct {
			Threshold string
			Pass      bool
		}
		Timeseries struct{ Points []map[string]any }
	}
	b, err := os.ReadFile(rep)
	if err != nil || json.Unmarshal(b, &saved) != nil {
		t.Fatalf("--report: %v", err)
	}
	if saved.SchemaVersion != 1 || len(saved.Thresholds) != 3 || !saved.Thresholds[0].Pass || saved.Thresholds[2].Pass {
		t.Errorf("saved report: schema %d, thresholds %+v; want 1 and pass, pass, fail", saved.SchemaVersion, saved.Thresholds)
	}
	if n := len(saved.Timeseries.Points); n < 4 || n > 2000 {
		t.Errorf("saved report has %d timeseries points, want a few (a point per 250 ms snapshot)", n)
	}
	page, err := os.ReadFile(html)
	if err != nil || !bytes.Contains(page, []byte(`id="chart-traffic"`)) || bytes.Contains(page, []byte("<script")) {
		t.Errorf("--report-html: %v, %d bytes; want the page with its charts and no script", err, len(page))
	}
	if b, err := os.ReadFile(csv); err != nil || strings.Count(string(b), "\n") != len(saved.Timeseries.Points)+1 {
		t.Errorf("--timeseries: %v; want a header and a row per point (%d)", err, len(saved.Timeseries.Points))
	}

	// The saved report again, as HTML.
	if r := run(t, ctx, "bench", "report", "--html", filepath.Join(dir, "again.html"), rep); r.code != 0 || r.stdout != "" {
		t.Errorf("bench report --html = exit %d, stdout %q; want 0 and nothing", r.code, r.stdout)
	}

	// A change that costs 10 % more IP bytes per heartbeat fails +5 %.
	var doc map[string]any
	_ = json.Unmarshal(b, &doc)
	bytesObj := doc["bytes"].(map[string]any)
	bytesObj["ip_per_heartbeat"] = bytesObj["ip_per_heartbeat"].(float64) * 1.1
	newRep := filepath.Join(dir, "new.json")
	nb, _ := json.Marshal(doc)
	_ = os.WriteFile(newRep, nb, 0o644)
	r = run(t, ctx, "bench", "compare", "--threshold", "bytes.ip_per_heartbeat:+5%", rep, newRep)
	if r.code != 3 || !strings.Contains(r.stdout, "+10.0 %") || !strings.Contains(r.stdout, "FAIL    bytes.ip_per_heartbeat:+5%") {
		t.Errorf("bench compare +5%% on a 10%% change = exit %d; want 3 and the change; stdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	r = run(t, ctx, "bench", "compare", "-o", "json", "--threshold", "bytes.ip_per_heartbeat:+15%", rep, newRep)
	var cmp struct {
		Figures    []map[string]any
		Thresholds []struct{ Pass bool }
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &cmp) != nil || len(cmp.Figures) < 20 || !cmp.Thresholds[0].Pass {
		t.Errorf("bench compare -o json +15%% = exit %d; want 0 and the figures in JSON:\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if left := benchChildren(t); len(left) > 0 {
		t.Errorf("embedded servers left after bench: %v", left)
	}
}

func TestBenchReportsBadInput(t *testing.T) {
	ctx := testCtx(t)
	dir := t.TempDir()
	notReport := filepath.Join(dir, "ready.json")
	_ = os.WriteFile(notReport, []byte(`{"grpc_addr": "127.0.0.1:1"}`), 0o644)
	noDir := filepath.Join(dir, "missing", "r.html")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"bench", "--threshold", "bytes.ip_per_heartbeats<=160"}, 2, `--threshold "bytes.ip_per_heartbeats<=160": unknown key`},
		{[]string{"bench", "--threshold", "bytes.ip_per_heartbeat=160"}, 2, `bad operator "="`},
		{[]string{"bench", "--threshold", "memory.server_bytes_per_stream<40XB"}, 2, `unit "XB" for memory.server_bytes_per_stream`},
		{[]string{"bench", "--report-html", noDir}, 2, "--report-html " + noDir + ": cannot write there"},
		{[]string{"bench", "compare", notReport, notReport}, 2, "base report " + notReport + ": not a bench report"},
		{[]string{"bench", "report", "--html", filepath.Join(dir, "x.html"), notReport}, 2, "report file " + notReport + ": not a bench report"},
	} {
		r := run(t, ctx, c.args...)
		if r.code != c.code || !strings.Contains(r.stderr, c.want) || strings.Contains(r.stderr, "panic") {
			t.Errorf("galaxyctl %q = exit %d, stderr %q; want %d and %q", c.args, r.code, r.stderr, c.code, c.want)
		}
	}
	if left := benchChildren(t); len(left) > 0 {
		t.Errorf("bad input left embedded servers: %v", left)
	}
}

// A running bench serves its live figures for Prometheus.
func TestBenchLiveMetrics(t *testing.T) {
	ctx := testCtx(t)
	cmd := exec.CommandContext(ctx, binPath, "bench", "--clients", "50", "--heartbeat", "100ms", "--warmup", "200ms",
		"--duration", "30s", "--metrics-listen", "127.0.0.1:0", "-o", "json")
	var out bytes.Buffer
	cmd.Stdout = &out
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := lineReader(stderr)
	addr := regexp.MustCompile(`live metrics on (http://\S+/metrics)`)
	var url string
	for url == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("bench ended before serving metrics; stdout:\n%s", out.String())
			}
			if m := addr.FindStringSubmatch(l); m != nil {
				url = m[1]
			}
		case <-ctx.Done():
			t.Fatal("bench never said where its metrics are")
		}
	}
	go drainLines(lines)
	want := []*regexp.Regexp{
		regexp.MustCompile(`(?m)^galaxy_bench_clients\{state="active"\} 50$`),
		regexp.MustCompile(`(?m)^galaxy_bench_phase\{phase="measure"\} 1$`),
		regexp.MustCompile(`(?m)^galaxy_bench_heartbeats_total [1-9]`),
		regexp.MustCompile(`(?m)^galaxy_bench_socket_bytes_total\{direction="in"\} [1-9]`),
		regexp.MustCompile(`(?m)^galaxy_bench_heartbeat_bytes\{direction="in",layer="protobuf"\} 19$`),
		regexp.MustCompile(`(?m)^galaxy_bench_heartbeat_gap_seconds_bucket\{le="0.1"\} [1-9]`),
		regexp.MustCompile(`(?m)^galaxy_bench_memory_per_stream_bytes\{kind="rss",process="server"\} `),
		regexp.MustCompile(`(?m)^process_resident_memory_bytes `),
	}
	var body string
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for missing := want; len(missing) > 0; {
		select {
		case <-ctx.Done():
			t.Fatalf("scrapes never showed %v; last:\n%s", missing, body)
		case <-tick.C:
		}
		body = scrape(ctx, url)
		missing = missing[:0:0]
		for _, re := range want {
			if !re.MatchString(body) {
				missing = append(missing, re)
			}
		}
	}
	_ = cmd.Process.Signal(os.Interrupt)
	if err := cmd.Wait(); err != nil {
		t.Errorf("bench after SIGINT: %v, want exit 0", err)
	}
	if !json.Valid(out.Bytes()) {
		t.Errorf("bench stdout is not the JSON report:\n%s", out.String())
	}
}

func scrape(ctx context.Context, url string) string {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

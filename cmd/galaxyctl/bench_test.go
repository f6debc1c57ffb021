package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// benchChildren lists live processes that are bench's embedded servers
// (their ready file lives in a galaxyctl-bench- temp dir).
func benchChildren(t *testing.T) []string {
	t.Helper()
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	var found []string
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		cmd := strings.ReplaceAll(string(b), "\x00", " ")
		if strings.HasPrefix(cmd, binPath+" serve") && strings.Contains(cmd, "galaxyctl-bench-") {
			found = append(found, p+": "+cmd)
		}
	}
	return found
}

func TestBenchEmbeddedJSONReport(t *testing.T) {
	ctx := testCtx(t)
	reportFile := filepath.Join(t.TempDir(), "report.json")
	r := run(t, ctx, "bench", "--clients", "200", "--heartbeat", "100ms", "--warmup", "300ms",
		"--duration", "1s", "--client-window", "static", "-o", "json", "--report", reportFile)
	if r.code != 0 {
		t.Fatalf("bench exit = %d, want 0; stderr:\n%s", r.code, r.stderr)
	}
	var rep map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("bench -o json stdout is not JSON: %v\n%s", err, r.stdout)
	}
	get := func(path string) any {
		var v any = rep
		for _, k := range strings.Split(path, ".") {
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		}
		return v
	}
	num := func(path string) float64 {
		f, ok := get(path).(float64)
		if !ok {
			t.Errorf("report %s = %v, want a number", path, get(path))
		}
		return f
	}
	for _, c := range []struct {
		path string
		want float64
	}{
		{"clients.requested", 200},
		{"clients.connected", 200},
		{"clients.failed", 0},
		{"bytes.protobuf_per_heartbeat", 19},
		{"bytes.http2_per_heartbeat", 33},
	} {
		if got := num(c.path); got != c.want {
			t.Errorf("report %s = %v, want %v", c.path, got, c.want)
		}
	}
	if hb := num("heartbeats.received"); hb < 200 {
		t.Errorf("heartbeats.received = %v, want at least one per client", hb)
	}
	if p50 := num("heartbeats.gap_p50_ms"); p50 < 80 || p50 > 150 {
		t.Errorf("heartbeats.gap_p50_ms = %v, want about the 100ms interval", p50)
	}
	num("heartbeats.gap_p99_ms")
	if in := num("bytes.socket_in_per_heartbeat"); in < 33 {
		t.Errorf("bytes.socket_in_per_heartbeat = %v, want at least 33", in)
	}
	num("bytes.socket_out_per_heartbeat")
	if ip := num("bytes.ip_per_heartbeat"); ip < 85 {
		t.Errorf("bytes.ip_per_heartbeat = %v, want at least 85 (33 payload + 52 headers)", ip)
	}
	num("segments.per_heartbeat")
	num("projection.bytes_per_client_day")
	if scales, ok := get("projection.scales").([]any); !ok || len(scales) != 3 {
		t.Errorf("projection.scales = %v, want the three default scales", get("projection.scales"))
	}
	if m := num("memory.client_bytes_per_stream"); m <= 0 {
		t.Errorf("memory.client_bytes_per_stream = %v, want > 0", m)
	}
	if m := num("memory.server_bytes_per_stream"); m <= 0 {
		t.Errorf("memory.server_bytes_per_stream = %v, want > 0 (scraped from the embedded server)", m)
	}
	file, err := os.ReadFile(reportFile)
	if err != nil || !json.Valid(file) {
		t.Errorf("--report %s: %v, want the JSON report", reportFile, err)
	}
	if left := benchChildren(t); len(left) > 0 {
		t.Errorf("embedded servers left after bench: %v", left)
	}
}

func TestBenchBadInput(t *testing.T) {
	ctx := testCtx(t)
	cases := []struct {
		name     string
		args     []string
		code     int
		contains string
	}{
		{"zero clients", []string{"bench", "--clients", "0"}, 2, "--clients must be at least 1, got 0"},
		{"more clients than files", []string{"bench", "--clients", "50000"}, 2, "--clients 50000 needs about"},
		{"malformed source addrs", []string{"bench", "--source-addrs", "127.0.0.1-banana"}, 2, "--source-addrs"},
		{"non-loopback source addrs", []string{"bench", "--source-addrs", "10.0.0.1"}, 2, "--source-addrs"},
		{"bad window", []string{"bench", "--client-window", "huge"}, 2, `--client-window "huge" is not one of dynamic or static`},
		{"bad scales", []string{"bench", "--scales", "10,x"}, 2, "--scales"},
		{"unreachable addr", []string{"bench", "--addr", "127.0.0.1:1", "--clients", "3", "--duration", "1s"}, 1, "no client connected"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, ctx, tc.args...)
			if r.code != tc.code {
				t.Errorf("galaxyctl %v exit = %d, want %d; stderr:\n%s", tc.args, r.code, tc.code, r.stderr)
			}
			if !strings.Contains(r.stderr, tc.contains) {
				t.Errorf("galaxyctl %v stderr = %q, want it to contain %q", tc.args, r.stderr, tc.contains)
			}
			if strings.Contains(r.stderr, "panic") {
				t.Errorf("galaxyctl %v panicked:\n%s", tc.args, r.stderr)
			}
			if left := benchChildren(t); len(left) > 0 {
				t.Errorf("galaxyctl %v left embedded servers: %v", tc.args, left)
			}
		})
	}
}

// Ctrl-C during the measurement still prints the report, exits 0, and
// stops the embedded server.
func TestBenchInterruptedStillReports(t *testing.T) {
	ctx := testCtx(t)
	cmd := exec.CommandContext(ctx, binPath, "bench", "--clients", "50", "--heartbeat", "100ms",
		"--warmup", "200ms", "--duration", "40s", "-o", "json")
	var out bytes.Buffer
	cmd.Stdout = &out
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := lineReader(stderr)
	for measuring := false; !measuring; {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("bench ended before measuring; stdout:\n%s", out.String())
			}
			measuring = strings.Contains(l, "bench: measure")
		case <-ctx.Done():
			t.Fatal("bench never reached the measurement")
		}
	}
	_ = cmd.Process.Signal(syscall.SIGINT)
	go drainLines(lines)
	if err := cmd.Wait(); err != nil {
		t.Errorf("bench after SIGINT: %v, want exit 0", err)
	}
	var rep struct {
		Interrupted bool
		Clients     struct{ Connected int }
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("report after SIGINT is not JSON: %v\n%s", err, out.String())
	}
	if !rep.Interrupted || rep.Clients.Connected != 50 {
		t.Errorf("report after SIGINT: interrupted %v, connected %d; want true, 50", rep.Interrupted, rep.Clients.Connected)
	}
	if left := benchChildren(t); len(left) > 0 {
		t.Errorf("embedded servers left after SIGINT: %v", left)
	}
}

func drainLines(ch <-chan string) {
	for range ch {
	}
}

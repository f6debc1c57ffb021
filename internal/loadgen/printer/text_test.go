package printer

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"galaxy/galaxyctl/internal/loadgen/report"
	"galaxy/galaxyctl/internal/loadgen/report/reporttest"
	"galaxy/galaxyctl/internal/loadgen/wire"
)

func TestWriteText(t *testing.T) {
	m := reporttest.WithReplies(reporttest.H2C())
	m.ConnectErrors = map[string]uint64{"Unavailable": 2}
	m.ConnectFailures = 2
	r := report.Build(m)
	var buf bytes.Buffer
	if err := WriteText(&buf, r, flagNames); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"bench: 10 clients against 127.0.0.1:7070 (h2c, client window dynamic",
		"wire cost per heartbeat",
		"  protobuf                 in    bytes     19.00     19.00  +0.00",
		"  http2_window_update      out   bytes     13.00     13.02  -0.02",
		"  ip_total                 both  bytes     288.00    -      -",
		"  in   ping_ack       100     1,700  1.000      17.00",
		"  connect  Unavailable  2",
		"projection at one heartbeat every 15.00s: 288.0 IP bytes per heartbeat, 1.66 MB per client per day\n  (model, heartbeat alone: 489.60 kB)",
		"  10,000     16.59 GB   1.536",
		"notes\n  - ",
		"--profile grpc-go-static",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("WriteText() lacks %q; got:\n%s", want, out)
		}
	}
}

// TestWriteTextWidth checks that a full report, TLS, errors, server memory
// and long notes included, fits 100 columns.
func TestWriteTextWidth(t *testing.T) {
	m := reporttest.Memory(tlsMeasurement())
	m.Config.Addr = "gateway-0.gateway.galaxy-push.svc.cluster.local:443"
	m.Config.Clients = 1_000_000
	m.ConnectErrors = map[string]uint64{"Unavailable": 2, "DeadlineExceeded": 12_345}
	m.ConnectErrorSamples = map[string]string{"DeadlineExceeded": strings.Repeat("no response header within 10s ", 8)}
	m.ConnectFailures = 12_347
	m.ServerBefore = &report.ServerSample{RSS: 21e6, HasRSS: true, Heap: 4e6, HasHeap: true, Goroutines: 23, HasGoroutines: true}
	m.ServerAfter = &report.ServerSample{RSS: 88e9, HasRSS: true, Heap: 37e9, HasHeap: true, Goroutines: 8023, HasGoroutines: true}
	m.MemAfter.RSS = 164 << 30
	var b bytes.Buffer
	if err := WriteText(&b, report.Build(m), flagNames); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for i, l := range strings.Split(out, "\n") {
		if n := len([]rune(l)); n > Width {
			t.Errorf("WriteText() line %d is %d wide, want at most %d: %q", i+1, n, Width, l)
		}
	}
	for _, want := range []string{"  rss/stream ", "server", "connect  DeadlineExceeded  12,345"} {
		if !strings.Contains(out, want) {
			t.Errorf("WriteText() lacks %q:\n%s", want, out)
		}
	}
}

// A run interrupted before its window says so instead of printing tables
// of zeros beside the model (a diff of -19.00 for protobuf).
func TestWriteTextNoWindow(t *testing.T) {
	r := report.Build(noWindow())
	var b bytes.Buffer
	if err := WriteText(&b, r, flagNames); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"no measurement window", "measured 0 (interrupted)", "clients\n", "memory ("} {
		if !strings.Contains(out, want) {
			t.Errorf("WriteText(no window) lacks %q:\n%s", want, out)
		}
	}
	for _, bad := range []string{"-19.00", "wire cost per heartbeat", "0 B per client per day", "projection at"} {
		if strings.Contains(out, bad) {
			t.Errorf("WriteText(no window) holds %q:\n%s", bad, out)
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteTextError(t *testing.T) {
	r := report.Build(reporttest.H2C())
	if err := WriteText(failWriter{}, r, nil); err == nil || err.Error() != "disk full" {
		t.Errorf("WriteText(failing writer) = %v, want disk full", err)
	}
	if err := WriteJSON(failWriter{}, r, nil); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("WriteJSON(failing writer) = %v, want disk full", err)
	}
}

// An HTTP/1.1 run shows its heads and chunks, not HTTP/2 frames.
func TestWriteTextHTTP1(t *testing.T) {
	m := reporttest.H2C()
	m.Config.Protocol, m.Config.HTTP, m.Config.Codec = "connect", "1.1", "json"
	in := &m.Counters.H1In
	in.Heartbeats, in.Messages, in.Chunks = 100, 100, 100
	in.ChunkFraming, in.Body = 600, 3800
	in.Bytes = in.ChunkFraming + in.Body
	m.Counters.H2In = wire.H2Stats{}
	var buf bytes.Buffer
	if err := WriteText(&buf, report.Build(m), nil); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"HTTP/1.1 in the window", "  in   0      0           100     600", "http1_chunk_framing"} {
		if !strings.Contains(out, want) {
			t.Errorf("WriteText(HTTP/1.1) lacks %q; got:\n%s", want, out)
		}
	}
	if strings.Contains(out, "HTTP/2 frames") {
		t.Errorf("WriteText(HTTP/1.1) shows HTTP/2 frames:\n%s", out)
	}
}

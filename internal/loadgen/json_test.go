package loadgen

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"strings"
	"testing"
)

func tlsConfigForTest() *tls.Config { return &tls.Config{MinVersion: tls.VersionTLS13} }

// requiredPaths are the report's JSON contract: the CLI, dashboards and
// scripts read these keys. "[]" steps into every element of an array.
var requiredPaths = []string{
	"clients.requested",
	"clients.connected",
	"clients.failed",
	"heartbeats.received",
	"heartbeats.gap_p50_ms",
	"heartbeats.gap_p99_ms",
	"heartbeats.gap_max_ms",
	"heartbeats.late",
	"heartbeats.missed",
	"heartbeats.interval_ms",
	"bytes.protobuf_per_heartbeat",
	"bytes.http2_per_heartbeat",
	"bytes.socket_in_per_heartbeat",
	"bytes.socket_out_per_heartbeat",
	"bytes.ip_per_heartbeat",
	"bytes.residual_in",
	"segments.per_heartbeat",
	"tcp_info.segs_in",
	"projection.bytes_per_client_day",
	"projection.scales[].clients",
	"projection.scales[].bytes_per_day",
	"projection.scales[].mbit_per_s",
	"memory.client_bytes_per_stream",
	"memory.server_bytes_per_stream",
	"layers[].layer",
	"layers[].direction",
	"layers[].measured",
	"layers[].model",
	"layers[].diff",
	"frames.in[].type",
	"errors.connect",
	"errors.streams",
	"config.clients",
	"durations.measure_ms",
	"clients.ramp_rate_achieved",
	"notes",
}

// lookup reports whether path exists in v.
func lookup(v any, path string) bool {
	if path == "" {
		return true
	}
	step, rest, _ := strings.Cut(path, ".")
	name, each := strings.CutSuffix(step, "[]")
	obj, ok := v.(map[string]any)
	if !ok {
		return false
	}
	child, ok := obj[name]
	if !ok {
		return false
	}
	if !each {
		return lookup(child, rest)
	}
	arr, ok := child.([]any)
	if !ok || len(arr) == 0 {
		return false
	}
	for _, el := range arr {
		if !lookup(el, rest) {
			return false
		}
	}
	return true
}

func TestReportJSONSchema(t *testing.T) {
	r := buildReport(withReplies(h2cMeasurement(t)))
	var buf bytes.Buffer
	if err := WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("WriteJSON() wrote invalid JSON: %v", err)
	}
	for _, p := range requiredPaths {
		if !lookup(doc, p) {
			t.Errorf("report JSON lacks %s", p)
		}
	}
	if got := doc["projection"].(map[string]any)["bytes_per_client_day"]; got != float64(288*5760) {
		t.Errorf("projection.bytes_per_client_day = %v, want %v", got, 288*5760)
	}
	if !bytes.HasSuffix(buf.Bytes(), []byte("}\n")) {
		t.Errorf("WriteJSON() output ends %q, want a newline after the object", buf.Bytes()[buf.Len()-3:])
	}
	// Absent data stays in the schema: tls is null, not missing.
	if v, ok := doc["tls"]; !ok || v != nil {
		t.Errorf("tls = %v (present %v), want null", v, ok)
	}
}

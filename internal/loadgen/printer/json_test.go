package printer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"galaxy/galaxyctl/internal/loadgen/report"
	"galaxy/galaxyctl/internal/loadgen/report/reporttest"
	"galaxy/galaxyctl/internal/loadgen/wire"
)

// lookup reports whether path exists in v. "[]" steps into every element
// of an array, which must not be empty.
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

// tlsMeasurement is reporttest's run with replies over TLS, so that every
// section of the report has rows.
func tlsMeasurement() report.Measurement {
	m := reporttest.WithReplies(reporttest.H2C())
	m.Config.TLS = true
	m.Counters.TLSIn.Bytes = 5500
	m.Counters.TLSIn.Records[wire.RecordApplicationData] = 100
	m.Counters.TLSIn.Payload[wire.RecordApplicationData] = 5000
	m.Counters.TLSOut.Records[wire.RecordApplicationData] = 1
	return m
}

// noWindow is a run interrupted during the ramp: 7 of 10 clients
// connected, nothing measured.
func noWindow() report.Measurement {
	m := reporttest.Memory(reporttest.H2C())
	m.Interrupted = report.PhaseRamp
	m.Connected, m.ConnectionsOpened = 7, 7
	m.Warmup, m.Window, m.Heartbeats = 0, 0, 0
	m.Counters, m.TCP, m.Gaps = report.Counters{}, report.TCPTotals{}, report.Gaps{}
	return m
}

// Without a window, every measured per-heartbeat figure is null in JSON,
// not 0; the keys stay.
func TestWriteJSONNoWindow(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJSON(&buf, report.Build(noWindow()), flagNames); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	get := func(path string) (any, bool) {
		var v any = doc
		for _, k := range strings.Split(path, ".") {
			m, ok := v.(map[string]any)
			if !ok {
				return nil, false
			}
			if v, ok = m[k]; !ok {
				return nil, false
			}
		}
		return v, true
	}
	for _, p := range []string{
		"bytes.protobuf_per_heartbeat", "bytes.socket_in_per_heartbeat", "bytes.ip_per_heartbeat",
		"segments.per_heartbeat", "heartbeats.per_second",
		"projection.ip_bytes_per_heartbeat", "projection.bytes_per_client_day",
	} {
		if v, ok := get(p); !ok || v != nil {
			t.Errorf("%s = %v (present %v), want null", p, v, ok)
		}
	}
	for _, p := range []string{"clients.connected", "memory.client_bytes_per_stream", "projection.model_bytes_per_client_day"} {
		if v, ok := get(p); !ok || v == nil {
			t.Errorf("%s = %v (present %v), want a number", p, v, ok)
		}
	}
	layers, _ := doc["layers"].([]any)
	for _, l := range layers {
		row := l.(map[string]any)
		if row["measured"] != nil || row["diff"] != nil {
			t.Errorf("layer %v %v: measured %v diff %v, want null null", row["layer"], row["direction"], row["measured"], row["diff"])
		}
	}
	scales, _ := doc["projection"].(map[string]any)["scales"].([]any)
	if len(scales) != 3 || scales[0].(map[string]any)["bytes_per_day"] != nil {
		t.Errorf("projection.scales = %v, want three rows with null bytes_per_day", scales)
	}
}

// flagNames stands for the CLI's naming of hints.
func flagNames(h report.Hint) string {
	f := "--" + strings.ToLower(h.Field)
	if h.Value != "" {
		f += " " + h.Value
	}
	return f
}

// TestReportJSONKeys pins the report's JSON contract: every key the
// report had when the contract was written (testdata/report_keys.txt,
// "[]" for each element of an array) is still there.
func TestReportJSONKeys(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJSON(&buf, report.Build(tlsMeasurement()), flagNames); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("WriteJSON() wrote invalid JSON: %v", err)
	}
	f, err := os.Open("testdata/report_keys.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	keys := 0
	for sc := bufio.NewScanner(f); sc.Scan(); keys++ {
		if p := sc.Text(); !lookup(doc, p) {
			t.Errorf("report JSON lacks %s", p)
		}
	}
	if keys < 170 {
		t.Errorf("testdata/report_keys.txt holds %d keys, want the whole contract", keys)
	}
}

func TestWriteJSON(t *testing.T) {
	r := report.Build(reporttest.WithReplies(reporttest.H2C()))
	var buf bytes.Buffer
	if err := WriteJSON(&buf, r, flagNames); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("WriteJSON() wrote invalid JSON: %v", err)
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
	// Notes are strings, their hints named by the printer's namer.
	notes, _ := doc["notes"].([]any)
	var named bool
	for _, n := range notes {
		s, ok := n.(string)
		if !ok {
			t.Fatalf("notes holds %T, want strings", n)
		}
		named = named || strings.Contains(s, "Rerun with --profile grpc-go-static")
	}
	if !named {
		t.Errorf("notes = %q, want the client-window hint named by the namer", notes)
	}
	if i, j := bytes.Index(buf.Bytes(), []byte(`"projection"`)), bytes.Index(buf.Bytes(), []byte(`"notes"`)); i < 0 || j < i {
		t.Errorf("notes at %d, projection at %d: want notes last, as before", j, i)
	}
}

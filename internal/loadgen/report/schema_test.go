package report_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"galaxy/galaxyctl/internal/loadgen/report"
	"galaxy/galaxyctl/internal/loadgen/report/reporttest"
)

func TestDecodeRoundTrip(t *testing.T) {
	r := report.Build(reporttest.WithReplies(reporttest.H2C()))
	r.Timeseries.Points = append(r.Timeseries.Points, report.SeriesPoint{TMS: 250, Phase: report.PhaseRamp,
		HeartbeatsPerS: report.Missing, BytesInPerS: 10, BytesOutPerS: 2, ClientRSSBytes: 1 << 20, ServerRSSBytes: report.Missing})
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	got, doc, err := report.Decode(b)
	if err != nil {
		t.Fatalf("Decode(report) = %v", err)
	}
	if got.SchemaVersion != report.SchemaVersion || doc["schema_version"] != float64(report.SchemaVersion) {
		t.Errorf("Decode() schema version %d, doc %v; want %d", got.SchemaVersion, doc["schema_version"], report.SchemaVersion)
	}
	if got.Bytes.IPPerHeartbeat != 288 || len(got.Layers) != len(r.Layers) || len(got.Notes) != len(r.Notes) {
		t.Errorf("Decode() = ip %v, %d layers, %d notes; want 288, %d, %d", got.Bytes.IPPerHeartbeat,
			len(got.Layers), len(got.Notes), len(r.Layers), len(r.Notes))
	}
	if p := got.Timeseries.Points; len(p) != 1 || p[0].HeartbeatsPerS.OK() || p[0].BytesInPerS != 10 {
		t.Errorf("Decode() timeseries = %+v, want the point back with its null rate", p)
	}
}

func TestDecodeRefuses(t *testing.T) {
	good, _ := json.Marshal(report.Build(reporttest.H2C()))
	var legacy map[string]any
	_ = json.Unmarshal(good, &legacy)
	delete(legacy, "schema_version")
	legacyJSON, _ := json.Marshal(legacy)
	v2 := strings.Replace(string(good), `"schema_version":1`, `"schema_version":2`, 1)
	for _, c := range []struct {
		name, in string
		want     string // "" accepts
		version  bool
	}{
		{"report", string(good), "", false},
		{"report without schema_version", string(legacyJSON), "", false},
		{"not JSON", "bench: 10 clients", "not a bench report: not JSON", false},
		{"array", "[1, 2]", "not a bench report: JSON array, not an object", false},
		{"null", "null", "not a bench report: JSON null", false},
		{"other object", `{"grpc_addr": "127.0.0.1:1"}`, `not a bench report: a JSON object without ["config" "heartbeats"`, false},
		{"schema 2", v2, "schema version 2; this galaxyctl reads version 1", true},
		{"schema a string", strings.Replace(string(good), `"schema_version":1`, `"schema_version":"1"`, 1), "schema_version is 1, not a number", false},
	} {
		_, _, err := report.Decode([]byte(c.in))
		switch {
		case c.want == "" && err != nil:
			t.Errorf("Decode(%s) = %v, want a report", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("Decode(%s) = %v, want an error containing %q", c.name, err, c.want)
		case c.want != "":
			var sv *report.SchemaVersionError
			if errors.As(err, &sv) != c.version || errors.Is(err, report.ErrNotReport) == c.version {
				t.Errorf("Decode(%s) = %T %v: schema-version error %v, want %v", c.name, err, err, !c.version, c.version)
			}
		}
	}
}

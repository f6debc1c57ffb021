package htmlreport

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"galaxy/galaxyctl/internal/loadgen/printer"
	"galaxy/galaxyctl/internal/loadgen/report"
	"galaxy/galaxyctl/internal/loadgen/report/reporttest"
	"galaxy/galaxyctl/internal/loadgen/series"
)

// sampleReport is a full run: the dynamic window's replies, memory on
// both sides, a timeseries through every phase, thresholds, and notes
// that carry markup to escape.
func sampleReport() *report.Report {
	m := reporttest.Memory(reporttest.WithReplies(reporttest.H2C()))
	m.Config.Clients = 1000
	m.Connected, m.ConnectionsOpened = 1000, 1000
	m.StartedAt = time.Date(2026, 10, 12, 13, 4, 5, 0, time.UTC)
	m.ServerBefore = &report.ServerSample{RSS: 21e6, HasRSS: true, Heap: 4e6, HasHeap: true, Goroutines: 23, HasGoroutines: true}
	m.ServerAfter = &report.ServerSample{RSS: 21e6 + 1000*14e3, HasRSS: true, Heap: 4e6 + 1000*9e3, HasHeap: true, Goroutines: 2023, HasGoroutines: true}
	for range 3 {
		m.Gaps.Histogram.Record(23 * time.Second)
	}
	m.Gaps.Histogram.Record(14 * time.Second)
	r := report.Build(m)
	r.Notes = append(r.Notes, report.NewNote("A note with <script>alert(1)</script> & markup, named %s.", report.Hint{Field: "ClientWindow", Value: "static"}))
	rec := series.NewRecorder(0)
	for i := range 161 { // 40 s in 250 ms snapshots
		t := float64(i) * 250
		p := report.SeriesPoint{TMS: t, Phase: report.PhaseMeasure, ClientsActive: 1000, ClientsConnected: 1000,
			ClientRSSBytes: report.Figure(60<<20 + min(i, 20)*2<<20), ServerRSSBytes: report.Figure(21e6 + float64(min(i, 20))*700e3)}
		switch {
		case i < 20:
			p.Phase, p.ClientsActive, p.ClientsConnected = report.PhaseRamp, i*50, i*50
		case i < 28:
			p.Phase = report.PhaseWarmup
		}
		hb := uint64(0)
		if i > 4 {
			hb = uint64(i-4) * 16
		}
		p.Heartbeats, p.BytesIn, p.BytesOut = hb, hb*50+uint64(i)*900, hb*30
		rec.Add(p)
	}
	r.Timeseries = rec.Series(series.MinSpan)
	r.Thresholds = []report.ThresholdResult{
		{Threshold: "bytes.ip_per_heartbeat<=300", Key: "bytes.ip_per_heartbeat", Op: "<=", Limit: 300, Value: 288, Pass: true},
		{Threshold: "heartbeats.gap_p99_ms<16s", Key: "heartbeats.gap_p99_ms", Op: "<", Limit: 16000, Value: 23000},
	}
	return r
}

// sampleJSON is sampleReport as bench writes it, with shards[] as a
// merged run would have them (a shape this version does not know).
func sampleJSON(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := printer.WriteJSON(&b, sampleReport(), func(h report.Hint) string { return "--client-window " + h.Value }); err != nil {
		t.Fatal(err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	doc["shards"] = json.RawMessage(`[
	  {"index": 0, "host": "bench-0", "clients": {"requested": 500, "connected": 500}, "bytes": {"ip_per_heartbeat": 287.5}, "memory": {"client_bytes_per_stream": 40960}, "interrupted": false, "tags": ["a"]},
	  {"index": 1, "host": "bench-<1>", "clients": {"requested": 500, "connected": 499}, "bytes": {"ip_per_heartbeat": null}, "memory": {"client_bytes_per_stream": 41200}, "interrupted": true}
	]`)
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

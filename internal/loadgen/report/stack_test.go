package report_test

import (
	"math"
	"testing"

	"galaxy/galaxyctl/internal/loadgen/report"
	"galaxy/galaxyctl/internal/loadgen/report/reporttest"
	"galaxy/galaxyctl/internal/loadgen/wire"
)

func layerMap(ls []report.StackLayer) map[string]float64 {
	m := map[string]float64{}
	for _, l := range ls {
		m[l.Layer] = float64(l.Bytes)
	}
	return m
}

// The dynamic window's replies split into the layers of the stacked bars,
// and each direction adds up to its IP bytes.
func TestStacks(t *testing.T) {
	m := reporttest.WithReplies(reporttest.H2C())
	m.TCP.SegsIn += 50 // 50 pure ACKs from the server
	m.TCP.HeaderBytesIn += 50 * 52
	r := report.Build(m)
	stacks := report.Stacks(r)
	if len(stacks) != 2 || stacks[0].Direction != "in" || stacks[1].Direction != "out" {
		t.Fatalf("Stacks() = %+v, want in then out", stacks)
	}
	want := []map[string]float64{
		{"protobuf": 19, "envelope": 5, "http_framing": 9, "http_other": 17, "tls": 0,
			"unattributed": 0, "tcp_ip_headers": 104, "pure_acks": 26},
		{"client_requests": 0, "client_replies": 30, "tls": 0, "unattributed": 0,
			"tcp_ip_headers": 52, "pure_acks": 52},
	}
	ip := []report.Figure{r.Bytes.IPInPerHeartbeat, r.Bytes.IPOutPerHeartbeat}
	for i, s := range stacks {
		got := layerMap(s.Measured)
		for k, v := range want[i] {
			if math.Abs(got[k]-v) > 1e-9 {
				t.Errorf("Stacks() %s %s = %v, want %v", s.Direction, k, got[k], v)
			}
		}
		if len(got) != len(want[i]) {
			t.Errorf("Stacks() %s layers = %v, want %v", s.Direction, got, want[i])
		}
		if tot := report.Total(s.Measured); math.Abs(float64(tot-ip[i])) > 1e-9 {
			t.Errorf("Total(Stacks() %s) = %v, want ip %v", s.Direction, tot, ip[i])
		}
	}
	if got := layerMap(stacks[0].Model); len(got) != 4 || got["protobuf"] != 19 || got["tcp_ip_headers"] != 52 {
		t.Errorf("Stacks() in model = %v, want 19, 5, 9 and 52", got)
	}
	if tot := report.Total(stacks[0].Model); tot != 85 {
		t.Errorf("Total(in model) = %v, want 85", tot)
	}
	if stacks[1].Model != nil {
		t.Errorf("Stacks() out model = %v, want none", stacks[1].Model)
	}
}

// With TLS the model has its record, and the measured stack a TLS layer.
func TestStacksTLS(t *testing.T) {
	m := reporttest.H2C()
	m.Config.TLS = true
	m.Counters.TLSIn.Bytes = 5500 // 22 per heartbeat over the 33 of HTTP/2
	m.Counters.TLSIn.Records[wire.RecordApplicationData] = 100
	m.Counters.TLSIn.Payload[wire.RecordApplicationData] = 5000
	s := report.Stacks(report.Build(m))[0]
	if got := layerMap(s.Measured)["tls"]; got != 22 {
		t.Errorf("Stacks(TLS) in tls = %v, want 22", got)
	}
	if tot := report.Total(s.Model); tot != 107 {
		t.Errorf("Total(TLS model) = %v, want 107", tot)
	}
}

// Without a window every measured layer is missing, never 0.
func TestStacksNoWindow(t *testing.T) {
	m := reporttest.H2C()
	m.Window, m.Counters, m.TCP = 0, report.Counters{}, report.TCPTotals{}
	for _, s := range report.Stacks(report.Build(m)) {
		for _, l := range s.Measured {
			if l.Bytes.OK() && l.Layer != "tls" {
				t.Errorf("Stacks(no window) %s %s = %v, want missing", s.Direction, l.Layer, l.Bytes)
			}
		}
	}
}

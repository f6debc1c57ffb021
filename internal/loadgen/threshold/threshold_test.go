package threshold

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"galaxy/galaxyctl/internal/loadgen/printer"
	"galaxy/galaxyctl/internal/loadgen/report"
	"galaxy/galaxyctl/internal/loadgen/report/reporttest"
)

func TestParse(t *testing.T) {
	for _, c := range []struct {
		in       string
		key, op  string
		limit    float64
		relative bool
		percent  float64
	}{
		{"bytes.ip_per_heartbeat<=160", "bytes.ip_per_heartbeat", "<=", 160, false, 0},
		{" bytes.ip_per_heartbeat <= 160 ", "bytes.ip_per_heartbeat", "<=", 160, false, 0},
		{"heartbeats.gap_p99_ms<1100", "heartbeats.gap_p99_ms", "<", 1100, false, 0},
		{"heartbeats.gap_p99_ms<1.1s", "heartbeats.gap_p99_ms", "<", 1100, false, 0},
		{"heartbeats.gap_p99_ms<900ms", "heartbeats.gap_p99_ms", "<", 900, false, 0},
		{"memory.server_bytes_per_stream<40KiB", "memory.server_bytes_per_stream", "<", 40960, false, 0},
		{"memory.client_heap_per_stream<2.5kB", "memory.client_heap_per_stream", "<", 2500, false, 0},
		{"projection.scales[2].mbit_per_s<=1.5", "projection.scales[2].mbit_per_s", "<=", 1.5, false, 0},
		{"projection.scales[0].bytes_per_day<20GB", "projection.scales[0].bytes_per_day", "<", 20e9, false, 0},
		{"layers[0].measured==19", "layers[0].measured", "==", 19, false, 0},
		{"clients.failed==0", "clients.failed", "==", 0, false, 0},
		{"heartbeats.per_second>=-1e3", "heartbeats.per_second", ">=", -1000, false, 0},
		{"errors.connect.Unavailable<1", "errors.connect.Unavailable", "<", 1, false, 0},
		{"segments.per_heartbeat>2", "segments.per_heartbeat", ">", 2, false, 0},
		{"timeseries.points[3].client_rss_bytes<1GiB", "timeseries.points[3].client_rss_bytes", "<", 1 << 30, false, 0},
		{"bytes.ip_per_heartbeat:+5%", "bytes.ip_per_heartbeat", "", 0, true, 5},
		{"heartbeats.per_second : -2.5 %", "heartbeats.per_second", "", 0, true, -2.5},
		{"bytes.ip_per_heartbeat:+0%", "bytes.ip_per_heartbeat", "", 0, true, 0},
	} {
		got, err := Parse(c.in)
		if err != nil {
			t.Errorf("Parse(%q) = %v, want a threshold", c.in, err)
			continue
		}
		if got.Key != c.key || got.Op != c.op || got.Limit != c.limit || got.Relative != c.relative || got.Percent != c.percent || got.Raw != c.in {
			t.Errorf("Parse(%q) = %+v, want key %s op %q limit %v relative %v %v%%", c.in, got, c.key, c.op, c.limit, c.relative, c.percent)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"bytes.ip_per_heartbeats<=160", `"bytes.ip_per_heartbeats<=160": unknown key bytes.ip_per_heartbeats (bytes has no ip_per_heartbeats); did you mean bytes.ip_per_heartbeat?`},
		{"byte.ip_per_heartbeat<=160", "unknown key byte.ip_per_heartbeat; did you mean bytes.ip_per_heartbeat?"},
		{"nonsense.entirely<=1", "unknown key nonsense.entirely"},
		{"bytes.ip_per_heartbeat=160", `bad operator "=": want one of < <= > >= ==`},
		{"bytes.ip_per_heartbeat=>160", `bad operator "=>"`},
		{"bytes.ip_per_heartbeat!=160", `bad operator "!="`},
		{"bytes.ip_per_heartbeat<<160", `bad operator "<<"`},
		{"bytes.ip_per_heartbeat 160", "no operator: want KEY OP VALUE with OP one of < <= > >= =="},
		{"bytes.ip_per_heartbeat:5%", "want KEY:+N% or KEY:-N%"},
		{"bytes.ip_per_heartbeat<=", "no value after the operator"},
		{"<=160", "no key"},
		{"bytes.ip_per_heartbeat<=lots", `value "lots": want a number`},
		{"bytes.ip_per_heartbeat<=160KB", `unit "KB" for bytes.ip_per_heartbeat: want a plain number of bytes or one of B, kB, MB, GB, TB, KiB, MiB, GiB, TiB`},
		{"memory.server_bytes_per_stream<40kb", `unit "kb" for memory.server_bytes_per_stream`},
		{"heartbeats.gap_p99_ms<1100KiB", `unit "KiB" for heartbeats.gap_p99_ms: want a plain number of milliseconds, or one with ms or s`},
		{"heartbeats.gap_p99_ms<1m", `unit "m" for heartbeats.gap_p99_ms`},
		{"segments.per_heartbeat<2kB", `unit "kB" for segments.per_heartbeat: it is a count`},
		{"config.client_window==1", "config.client_window is a string, not a number"},
		{"interrupted==0", "interrupted is true or false, not a number"},
		{"bytes<1", "bytes is an object: name one of its numbers, like bytes.client_replies_per_heartbeat"},
		{"layers<1", "layers is an array: pick an element with [i], like layers[0]"},
		{"layers.measured<1", "layers is an array: pick an element with [i], like layers[0].measured"},
		{"bytes[0].x<1", "bytes is an object, not an array"},
		{"bytes.ip_per_heartbeat.x<1", "bytes.ip_per_heartbeat is a number, it has no keys"},
		{"bytes..x<1", "want names of letters, digits and _ joined by dots"},
		{"layers[-1].measured<1", "want names of letters"},
		{"notes[0]<1", "notes[i] is a string, not a number"},
	} {
		_, err := Parse(c.in)
		var te *Error
		if err == nil || !errors.As(err, &te) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%q) = %v, want an *Error containing %q", c.in, err, c.want)
		}
	}
}

// doc is a report as the JSON printer writes it, decoded generically.
func doc(t *testing.T, m report.Measurement) any {
	t.Helper()
	var b bytes.Buffer
	if err := printer.WriteJSON(&b, report.Build(m), nil); err != nil {
		t.Fatal(err)
	}
	var d any
	if err := json.Unmarshal(b.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestCheck(t *testing.T) {
	d := doc(t, reporttest.Memory(reporttest.WithReplies(reporttest.H2C()))) // 288 B per heartbeat
	noWindow := reporttest.H2C()
	noWindow.Window, noWindow.Counters = 0, report.Counters{}
	empty := doc(t, noWindow)
	noWindow.TCP = report.TCPTotals{}
	noTCP := doc(t, noWindow)
	for _, c := range []struct {
		in    string
		doc   any
		pass  bool
		value report.Figure
	}{
		{"bytes.ip_per_heartbeat<=288", d, true, 288},
		{"bytes.ip_per_heartbeat<288", d, false, 288},
		{"bytes.ip_per_heartbeat>=288", d, true, 288},
		{"bytes.ip_per_heartbeat>287.9", d, true, 288},
		{"bytes.ip_per_heartbeat==288", d, true, 288},
		{"bytes.ip_per_heartbeat==288.5", d, false, 288},
		{"bytes.ip_per_heartbeat<=0.3kB", d, true, 288},
		{"memory.client_bytes_per_stream<40KiB", d, false, 40960},
		{"memory.client_bytes_per_stream<=40KiB", d, true, 40960},
		{"projection.scales[0].clients==10000", d, true, 10000},
		{"heartbeats.gap_p99_ms<15.1s", d, true, 15000},
		{"heartbeats.gap_p99_ms<15s", d, false, 15000},
		// Missing, null or past the end of an array: fails.
		{"projection.scales[7].clients==10000", d, false, report.Missing},
		{"errors.connect.Unavailable<1", d, false, report.Missing},
		{"bytes.ip_per_heartbeat<=1000", empty, false, report.Missing},
		// The server's memory is 0, not null, without its metrics: missing.
		{"memory.server_bytes_per_stream<40KiB", d, false, report.Missing},
		{"tcp_info.segs_in>=0", d, true, 200},
		{"tcp_info.segs_in>=0", noTCP, false, report.Missing},
		{"bytes.ip_per_heartbeat>=0", empty, false, report.Missing},
	} {
		th, err := Parse(c.in)
		if err != nil {
			t.Fatal(err)
		}
		got := th.Check(c.doc)
		if got.Pass != c.pass || got.Value.OK() != c.value.OK() || (c.value.OK() && got.Value != c.value) {
			t.Errorf("Parse(%q).Check() = pass %v value %v, want %v %v", c.in, got.Pass, got.Value, c.pass, c.value)
		}
		if got.Threshold != c.in || got.Key != th.Key || got.Op != th.Op || float64(got.Limit) != th.Limit {
			t.Errorf("Parse(%q).Check() = %+v, want the threshold's key, op and limit", c.in, got)
		}
	}
}

func TestCheckRelative(t *testing.T) {
	base := doc(t, reporttest.WithReplies(reporttest.H2C())) // 288
	worse := reporttest.WithReplies(reporttest.H2C())
	worse.TCP.HeaderBytesOut += 14 * 100 // 302: 4.9 % more
	worseDoc := doc(t, worse)
	better := doc(t, reporttest.H2C()) // 85
	noWindow := reporttest.H2C()
	noWindow.Window, noWindow.Counters = 0, report.Counters{}
	empty := doc(t, noWindow)
	for _, c := range []struct {
		in        string
		base, new any
		pass      bool
		op        string
		limit     report.Figure
	}{
		{"bytes.ip_per_heartbeat:+5%", base, worseDoc, true, "<=", 302.4},
		{"bytes.ip_per_heartbeat:+4%", base, worseDoc, false, "<=", 299.52},
		{"bytes.ip_per_heartbeat:+0%", base, base, true, "<=", 288},
		{"bytes.ip_per_heartbeat:+5%", base, better, true, "<=", 302.4},
		{"bytes.ip_per_heartbeat:-5%", base, better, false, ">=", 273.6},
		{"bytes.ip_per_heartbeat:-5%", base, worseDoc, true, ">=", 273.6},
		{"bytes.ip_per_heartbeat:+5%", empty, base, false, "<=", report.Missing},
		{"bytes.ip_per_heartbeat:+5%", base, empty, false, "<=", 302.4},
		// An absolute threshold in a comparison holds the new report.
		{"bytes.ip_per_heartbeat<100", base, better, true, "<", 100},
	} {
		th, err := Parse(c.in)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := th.CheckRelative(c.base, c.new)
		if got.Pass != c.pass || got.Op != c.op || got.Limit.OK() != c.limit.OK() || (c.limit.OK() && !near(got.Limit, c.limit)) {
			t.Errorf("Parse(%q).CheckRelative() = %+v, want pass %v, %s %v", c.in, got, c.pass, c.op, c.limit)
		}
	}
}

func near(a, b report.Figure) bool { d := a - b; return d < 1e-9 && d > -1e-9 }

func TestFormatAndTable(t *testing.T) {
	for _, c := range []struct {
		key  string
		v    report.Figure
		want string
	}{
		{"bytes.ip_per_heartbeat", 86, "86.00 B"},
		{"projection.bytes_per_client_day", 1.66e6, "1.66 MB"},
		{"memory.server_bytes_per_stream", 40960, "40.0 KiB"},
		{"heartbeats.gap_p99_ms", 1200, "1.20s"},
		{"clients.failed", 3, "3"},
		{"segments.per_heartbeat", 2.125, "2.125"},
		{"bytes.ip_per_heartbeat", report.Missing, "null"},
	} {
		if got := Format(c.key, c.v); got != c.want {
			t.Errorf("Format(%s, %v) = %q, want %q", c.key, c.v, got, c.want)
		}
	}
	var b bytes.Buffer
	rs := []report.ThresholdResult{
		{Threshold: "bytes.ip_per_heartbeat<=160", Key: "bytes.ip_per_heartbeat", Op: "<=", Limit: 160, Value: 86, Pass: true},
		{Threshold: "memory.server_bytes_per_stream<40KiB", Key: "memory.server_bytes_per_stream", Op: "<", Limit: 40960, Value: report.Missing},
	}
	if err := WriteText(&b, rs); err != nil {
		t.Fatal(err)
	}
	want := "thresholds: 1 of 2 failed\n" +
		"  result  threshold                             value    limit\n" +
		"  pass    bytes.ip_per_heartbeat<=160           86.00 B  <= 160.00 B\n" +
		"  FAIL    memory.server_bytes_per_stream<40KiB  null     < 40.0 KiB\n"
	if b.String() != want {
		t.Errorf("WriteText() =\n%s\nwant\n%s", b.String(), want)
	}
}

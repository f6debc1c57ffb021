package compare

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"galaxy/galaxyctl/internal/loadgen/printer"
	"galaxy/galaxyctl/internal/loadgen/report"
	"galaxy/galaxyctl/internal/loadgen/report/reporttest"
	"galaxy/galaxyctl/internal/loadgen/threshold"
)

// input is m's report as bench writes it and compare reads it back.
func input(t *testing.T, file string, m report.Measurement) Input {
	t.Helper()
	var b bytes.Buffer
	if err := printer.WriteJSON(&b, report.Build(m), nil); err != nil {
		t.Fatal(err)
	}
	r, doc, err := report.Decode(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return Input{File: file, Report: r, Doc: doc}
}

// dynamic is a run with grpc-go's replies (288 IP bytes per heartbeat);
// static the same run without them (85), with a static window.
func dynamic() report.Measurement { return reporttest.Memory(reporttest.WithReplies(reporttest.H2C())) }

func static() report.Measurement {
	m := reporttest.Memory(reporttest.H2C())
	m.Config.ClientWindow, m.Config.StaticWindow = report.WindowStatic, 65535
	m.Config.Addr = "127.0.0.1:41234"
	m.MemAfter.RSS += 10 * 1024 // 1 KiB more per stream
	return m
}

func findRow(rows []Row, key string) (Row, bool) {
	for _, r := range rows {
		if r.Key == key {
			return r, true
		}
	}
	return Row{}, false
}

func TestCompareFigures(t *testing.T) {
	base, next := input(t, "dynamic.json", dynamic()), input(t, "static.json", static())
	res := Compare(base, next, nil)
	for _, c := range []struct {
		key              string
		base, next, diff report.Figure
		pct              report.Figure
	}{
		{"bytes.ip_per_heartbeat", 288, 85, -203, -203.0 / 288 * 100},
		{"bytes.client_replies_per_heartbeat", 30, 0, -30, -100},
		{"layers.protobuf.in", 19, 19, 0, 0},
		{"layers.http2_window_update.out", 13, report.Missing, report.Missing, report.Missing},
		{"segments.per_heartbeat", 4, 1, -3, -75},
		{"heartbeats.gap_p50_ms", 15000, 15000, 0, 0},
		{"memory.client_bytes_per_stream", 40960, 41984, 1024, 2.5},
		{"memory.server_bytes_per_stream", report.Missing, report.Missing, report.Missing, report.Missing},
		{"projection.bytes_per_client_day", 288 * 5760, 85 * 5760, -203 * 5760, -203.0 / 288 * 100},
		{"projection.scales.10000.bytes_per_day", 288 * 5760 * 1e4, 85 * 5760 * 1e4, -203 * 5760 * 1e4, -203.0 / 288 * 100},
		{"clients.connected", 10, 10, 0, 0},
	} {
		r, ok := findRow(res.Figures, c.key)
		if !ok {
			t.Errorf("Compare() has no row %s", c.key)
			continue
		}
		for _, v := range []struct {
			name      string
			got, want report.Figure
		}{{"base", r.Base, c.base}, {"new", r.New, c.next}, {"change", r.Change, c.diff}, {"change_pct", r.ChangePct, c.pct}} {
			if v.got.OK() != v.want.OK() || (v.want.OK() && !near(v.got, v.want)) {
				t.Errorf("Compare() %s %s = %v, want %v", c.key, v.name, v.got, v.want)
			}
		}
	}
	sections := []string{}
	for _, r := range res.Figures {
		if len(sections) == 0 || sections[len(sections)-1] != r.Section {
			sections = append(sections, r.Section)
		}
	}
	if got := strings.Join(sections, " "); got != "bytes layers segments heartbeats memory projection clients" {
		t.Errorf("Compare() sections = %s", got)
	}
}

func near(a, b report.Figure) bool { d := a - b; return d < 1e-6 && d > -1e-6 }

func TestCompareConfigAndWarnings(t *testing.T) {
	interrupted := static()
	interrupted.Interrupted = report.PhaseMeasure
	noWindow := static()
	noWindow.Interrupted, noWindow.Window = report.PhaseRamp, 0
	loopbackPort := dynamic()
	loopbackPort.Config.Addr = "127.0.0.1:7071"
	otherHost := dynamic()
	otherHost.Config.Addr = "10.0.0.7:7070"
	for _, c := range []struct {
		name     string
		next     report.Measurement
		keys     string
		warnings []string
	}{
		{"same", dynamic(), "", nil},
		{"static window", static(), "addr client_window static_window",
			[]string{"the runs differ in client_window, static_window: every change below includes their effect"}},
		{"embedded gateway's port", loopbackPort, "addr", nil},
		{"another gateway", otherHost, "addr", []string{"the runs differ in addr:"}},
		{"interrupted", interrupted, "addr client_window static_window", []string{"", "the new run (new.json) was interrupted: its figures cover the 150s of its window"}},
		{"no window", noWindow, "addr client_window static_window", []string{"", "the new run (new.json) has no measurement window"}},
	} {
		res := Compare(input(t, "base.json", dynamic()), input(t, "new.json", c.next), nil)
		var keys []string
		for _, d := range res.ConfigDiff {
			keys = append(keys, d.Key)
		}
		if got := strings.Join(keys, " "); got != c.keys {
			t.Errorf("Compare(%s) config diff = %q, want %q", c.name, got, c.keys)
		}
		if len(res.Warnings) != len(c.warnings) {
			t.Errorf("Compare(%s) warnings = %q, want %d", c.name, res.Warnings, len(c.warnings))
			continue
		}
		for i, w := range c.warnings {
			if !strings.Contains(res.Warnings[i], w) {
				t.Errorf("Compare(%s) warning %d = %q, want it to contain %q", c.name, i, res.Warnings[i], w)
			}
		}
	}
}

func TestCompareThresholds(t *testing.T) {
	var ts []threshold.Threshold
	for _, s := range []string{"bytes.ip_per_heartbeat:+5%", "bytes.ip_per_heartbeat:-5%", "clients.failed==0", "memory.server_bytes_per_stream:+5%"} {
		th, err := threshold.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, th)
	}
	res := Compare(input(t, "base.json", dynamic()), input(t, "new.json", static()), ts)
	want := []bool{true, false, true, false}
	for i, r := range res.Thresholds {
		if r.Pass != want[i] {
			t.Errorf("Compare() threshold %s pass = %v, want %v (%+v)", r.Threshold, r.Pass, want[i], r)
		}
	}
	if res.Failed() != 2 {
		t.Errorf("Compare().Failed() = %d, want 2", res.Failed())
	}
	if r := res.Thresholds[0]; r.Base != 288 || r.Percent == nil || *r.Percent != 5 || !near(r.Limit, 302.4) {
		t.Errorf("Compare() relative threshold row = %+v, want base 288, percent 5, limit 302.4", r)
	}
	if r := res.Thresholds[2]; r.Percent != nil || r.Base.OK() {
		t.Errorf("Compare() absolute threshold row = %+v, want no base or percent", r)
	}
}

func TestWriteText(t *testing.T) {
	th, _ := threshold.Parse("bytes.ip_per_heartbeat:+5%")
	res := Compare(input(t, "dynamic.json", dynamic()), input(t, "static.json", static()), []threshold.Threshold{th})
	var b bytes.Buffer
	if err := WriteText(&b, res); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if os.Getenv("COMPARE_SHOW") != "" {
		t.Log("\n" + out)
	}
	for _, want := range []string{
		"  base  dynamic.json  10 clients, h2c, client window dynamic, measured 150s\n",
		"configuration that differs\n  key            base            new\n",
		"  client_window  dynamic         static\n",
		"warning: the runs differ in client_window, static_window",
		"bytes per heartbeat (IP: headers included",
		"  ip_per_heartbeat    ",
		"  ip_per_heartbeat                   288.00      85.00     -203.00   -70.5 %\n",
		"layers, per heartbeat\n",
		"http2_window_update out",
		"memory per stream\n",
		"  client_bytes_per_stream          40.0 KiB   41.0 KiB    +1.0 KiB    +2.5 %\n",
		"  server_bytes_per_stream                 -          -           -         -\n",
		"thresholds: all 1 passed\n",
		"  pass    bytes.ip_per_heartbeat:+5%  288.00 B  85.00 B  <= 302.40 B\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("WriteText() lacks %q:\n%s", want, out)
		}
	}
	for i, l := range strings.Split(out, "\n") {
		if len([]rune(l)) > 100 {
			t.Errorf("WriteText() line %d is %d wide, want at most 100: %q", i+1, len([]rune(l)), l)
		}
	}
}

// The JSON keys of -o json are a contract, documented in the README.
func TestWriteJSON(t *testing.T) {
	th, _ := threshold.Parse("bytes.ip_per_heartbeat:+5%")
	res := Compare(input(t, "a.json", dynamic()), input(t, "b.json", static()), []threshold.Threshold{th})
	var b bytes.Buffer
	if err := WriteJSON(&b, res); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{
		"schema_version", "base.file", "base.started_at", "base.interrupted", "base.measure_ms", "base.summary", "new.file",
		"config_diff[0].key", "config_diff[0].base", "config_diff[0].new", "warnings[0]",
		"figures[0].section", "figures[0].key", "figures[0].unit", "figures[0].base", "figures[0].new",
		"figures[0].change", "figures[0].change_pct",
		"thresholds[0].threshold", "thresholds[0].key", "thresholds[0].op", "thresholds[0].limit",
		"thresholds[0].value", "thresholds[0].pass", "thresholds[0].base", "thresholds[0].percent",
	} {
		if !has(doc, key) {
			t.Errorf("compare JSON lacks %s:\n%s", key, b.String())
		}
	}
	if _, ok := threshold.Lookup(doc, "figures[0].base"); !ok {
		t.Errorf("figures[0].base is not a number")
	}
}

// has reports whether key (a dotted path with [i]) is in doc, null or not.
func has(doc any, key string) bool {
	v := doc
	for _, part := range strings.Split(key, ".") {
		name, idx, _ := strings.Cut(part, "[")
		m, ok := v.(map[string]any)
		if !ok {
			return false
		}
		if v, ok = m[name]; !ok {
			return false
		}
		if idx != "" {
			arr, ok := v.([]any)
			if !ok || len(arr) == 0 {
				return false
			}
			v = arr[0]
		}
	}
	return true
}

package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"galaxy/galaxyctl/internal/loadgen/printer"
	"galaxy/galaxyctl/internal/loadgen/report"
	"galaxy/galaxyctl/internal/loadgen/report/reporttest"
)

// writeReportFile saves m's report as bench --report does and returns
// its path.
func writeReportFile(t *testing.T, dir, name string, m report.Measurement) string {
	t.Helper()
	var b bytes.Buffer
	if err := printer.WriteJSON(&b, report.Build(m), benchFlagName); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// mainRun runs galaxyctl with args and returns its exit code and output.
func mainRun(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	streams, out, errOut := testStreams()
	code := Main(testContext(t), args, streams)
	return code, out.String(), errOut.String()
}

func TestBenchReportAndCompare(t *testing.T) {
	dir := t.TempDir()
	dynamic := writeReportFile(t, dir, "dynamic.json", reporttest.WithReplies(reporttest.H2C())) // 288 B
	static := reporttest.H2C()
	static.Config.ClientWindow = report.WindowStatic
	staticFile := writeReportFile(t, dir, "static.json", static) // 85 B
	html := filepath.Join(dir, "out", "r.html")
	if err := os.Mkdir(filepath.Dir(html), 0o755); err != nil {
		t.Fatal(err)
	}
	csv := filepath.Join(dir, "out", "r.csv")
	for _, c := range []struct {
		name   string
		args   []string
		code   int
		stdout []string // "" for nothing
		stderr []string
	}{
		{"report as text", []string{"bench", "report", dynamic}, 0, []string{"wire cost per heartbeat", "--profile grpc-go-static"}, nil},
		{"report as json", []string{"bench", "report", "-o", "json", dynamic}, 0, []string{`"schema_version": 1`, `"ip_per_heartbeat": 288`}, nil},
		{"report html", []string{"bench", "report", "--html", html, "--timeseries", csv, dynamic}, 0, []string{""}, nil},
		{"report passes", []string{"bench", "report", "--threshold", "bytes.ip_per_heartbeat<=300", dynamic}, 0, nil,
			[]string{"thresholds: all 1 passed", "pass    bytes.ip_per_heartbeat<=300"}},
		{"report fails", []string{"bench", "report", "-o", "json", "--threshold", "bytes.ip_per_heartbeat<=160", "--threshold", "clients.failed==0", dynamic}, 3,
			[]string{`"threshold": "bytes.ip_per_heartbeat<=160"`, `"pass": false`},
			[]string{"thresholds: 1 of 2 failed", "FAIL    bytes.ip_per_heartbeat<=160", "Error: 1 of 2 thresholds failed: bytes.ip_per_heartbeat<=160\n"}},
		{"compare", []string{"bench", "compare", dynamic, staticFile}, 0,
			[]string{"bench compare", "client_window  dynamic  static", "warning: the runs differ in client_window", "-70.5 %"}, nil},
		{"compare json", []string{"bench", "compare", "-o", "json", dynamic, staticFile}, 0, []string{`"config_diff": [`, `"key": "bytes.ip_per_heartbeat"`}, nil},
		{"compare gate passes", []string{"bench", "compare", "--threshold", "bytes.ip_per_heartbeat:+5%", dynamic, staticFile}, 0, []string{"thresholds: all 1 passed"}, nil},
		{"compare gate fails", []string{"bench", "compare", "--threshold", "bytes.ip_per_heartbeat:+5%", "--threshold", "bytes.ip_per_heartbeat<100", staticFile, dynamic}, 3,
			[]string{"thresholds: 2 of 2 failed", "FAIL    bytes.ip_per_heartbeat:+5%  85.00 B  288.00 B  <= 89.25 B"},
			[]string{"Error: 2 of 2 thresholds failed: bytes.ip_per_heartbeat:+5%, bytes.ip_per_heartbeat<100"}},
	} {
		code, out, errOut := mainRun(t, c.args...)
		if code != c.code {
			t.Errorf("%s: galaxyctl %q = exit %d, want %d; stderr:\n%s", c.name, c.args, code, c.code, errOut)
		}
		for _, w := range c.stdout {
			if (w == "" && out != "") || !strings.Contains(out, w) {
				t.Errorf("%s: stdout lacks %q (or is not empty):\n%s", c.name, w, out)
			}
		}
		for _, w := range c.stderr {
			if !strings.Contains(errOut, w) {
				t.Errorf("%s: stderr lacks %q:\n%s", c.name, w, errOut)
			}
		}
	}
	page, err := os.ReadFile(html)
	if err != nil || !bytes.Contains(page, []byte(`id="chart-layers"`)) {
		t.Errorf("bench report --html wrote %d bytes (%v), want the page", len(page), err)
	}
	if b, err := os.ReadFile(csv); err != nil || !strings.HasPrefix(string(b), "t_ms,phase,") {
		t.Errorf("bench report --timeseries wrote %q (%v), want the CSV header", b, err)
	}
}

func TestBenchReportsBadInput(t *testing.T) {
	dir := t.TempDir()
	good := writeReportFile(t, dir, "good.json", reporttest.H2C())
	other := filepath.Join(dir, "ready.json")
	_ = os.WriteFile(other, []byte(`{"grpc_addr": "127.0.0.1:7070", "pid": 42}`), 0o644)
	text := filepath.Join(dir, "report.txt")
	_ = os.WriteFile(text, []byte("bench: 10 clients against 127.0.0.1:7070\n"), 0o644)
	var doc map[string]any
	raw, _ := os.ReadFile(good)
	_ = json.Unmarshal(raw, &doc)
	doc["schema_version"] = 2
	v2b, _ := json.Marshal(doc)
	v2 := filepath.Join(dir, "v2.json")
	_ = os.WriteFile(v2, v2b, 0o644)
	missing := filepath.Join(dir, "nope.json")
	noDir := filepath.Join(dir, "no", "such", "dir", "r.html")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"bench", "compare", good, other}, 2, "new report " + other + ": not a bench report: a JSON object without"},
		{[]string{"bench", "compare", text, good}, 2, "base report " + text + ": not a bench report: not JSON"},
		{[]string{"bench", "compare", good, v2}, 2, "new report " + v2 + ": a bench report of schema version 2; this galaxyctl reads version 1"},
		{[]string{"bench", "compare", good, missing}, 2, "new report " + missing + ": no such file or directory"},
		{[]string{"bench", "compare", good}, 2, "takes two arguments, the base and the new report"},
		{[]string{"bench", "compare", "--threshold", "bytes.nope:+5%", good, good}, 2, `--threshold "bytes.nope:+5%": unknown key bytes.nope`},
		{[]string{"bench", "compare", "-o", "yaml", good, good}, 2, `--output "yaml" is not one of text or json`},
		{[]string{"bench", "report", other}, 2, "report file " + other + ": not a bench report"},
		{[]string{"bench", "report"}, 2, "takes one argument, the report file"},
		{[]string{"bench", "report", "--html", noDir, good}, 2, "--html " + noDir + ": cannot write there"},
		{[]string{"bench", "report", "--html", dir, good}, 2, "--html " + dir + ": is a directory"},
		{[]string{"bench", "report", "--threshold", "bytes.ip_per_heartbeat:+5%", good}, 2, "needs two reports: use it with galaxyctl bench compare"},
		{[]string{"bench", "report", "--threshold", "bytes.ip_per_heartbeat=160", good}, 2, `--threshold "bytes.ip_per_heartbeat=160": bad operator "="`},
		// bench itself refuses before it starts anything.
		{[]string{"bench", "--threshold", "bytes.ip_per_heartbeats<=160"}, 2, "did you mean bytes.ip_per_heartbeat?"},
		{[]string{"bench", "--threshold", "bytes.ip_per_heartbeat=>160"}, 2, `bad operator "=>"`},
		{[]string{"bench", "--threshold", "memory.server_bytes_per_stream<40KB"}, 2, `unit "KB" for memory.server_bytes_per_stream`},
		{[]string{"bench", "--threshold", "heartbeats.gap_p99_ms<1.1KiB"}, 2, `unit "KiB" for heartbeats.gap_p99_ms`},
		{[]string{"bench", "--threshold", "bytes.ip_per_heartbeat:+5%"}, 2, "needs two reports"},
		{[]string{"bench", "--report-html", noDir}, 2, "--report-html " + noDir + ": cannot write there"},
		{[]string{"bench", "--timeseries", noDir}, 2, "--timeseries " + noDir + ": cannot write there"},
		{[]string{"bench", "--metrics-listen", "localhost"}, 2, `--metrics-listen "localhost" is not HOST:PORT`},
	} {
		code, out, errOut := mainRun(t, c.args...)
		if code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("galaxyctl %q = exit %d, stderr %q; want %d and %q", c.args, code, errOut, c.code, c.want)
		}
		if out != "" {
			t.Errorf("galaxyctl %q printed %q on stdout, want nothing", c.args, out)
		}
	}
}

// When the HTML page cannot be written after the run, the report is
// already on stdout and in --report: nothing is lost, and the error names
// the flag.
func TestBenchHTMLWriteFailsAfterReport(t *testing.T) {
	dir := t.TempDir()
	streams, out, _ := testStreams()
	o := &benchOptions{g: &globalOptions{streams: streams}, output: "json", reportFile: filepath.Join(dir, "r.json")}
	o.outs.htmlFile = filepath.Join(dir, "gone", "r.html") // its directory vanished during the run
	err := o.writeReport(report.Build(reporttest.H2C()))
	if err == nil || !strings.Contains(err.Error(), "--report-html") || exitCode(testContext(t), err) != ExitFailure {
		t.Errorf("writeReport(unwritable html) = %v, want a failure naming --report-html", err)
	}
	if !strings.Contains(out.String(), `"schema_version": 1`) {
		t.Errorf("stdout = %q, want the JSON report printed first", out.String())
	}
	if b, err := os.ReadFile(o.reportFile); err != nil || !json.Valid(b) {
		t.Errorf("--report file: %v, want the JSON report written before the page", err)
	}
}

// bench's new flags parse into its options before anything runs.
func TestBenchOutputFlags(t *testing.T) {
	dir := t.TempDir()
	var got *benchOptions
	r := runCommand(testContext(t), t, newBenchCmd, []string{"--threshold", "bytes.ip_per_heartbeat<=160",
		"--threshold", "heartbeats.gap_p99_ms<1.1s", "--report-html", filepath.Join(dir, "r.html"),
		"--timeseries", filepath.Join(dir, "r.csv"), "--metrics-listen", "127.0.0.1:0"}, nil,
		func(_ context.Context, o *benchOptions) error { got = o; return nil })
	if r.err != nil || got == nil {
		t.Fatalf("bench with output flags = %v", r.err)
	}
	x := got.outs
	if len(x.thresholds) != 2 || x.thresholds[1].Key != "heartbeats.gap_p99_ms" || x.thresholds[1].Limit != 1100 ||
		x.htmlFile != filepath.Join(dir, "r.html") || x.timeseriesFile != filepath.Join(dir, "r.csv") || x.metricsListen != "127.0.0.1:0" {
		t.Errorf("bench output options = %+v", x)
	}
}

// bench report keeps what it does not know: a merged run's shards, in
// the file's order, with the thresholds it checked.
func TestBenchReportKeepsUnknownKeys(t *testing.T) {
	dir := t.TempDir()
	file := writeReportFile(t, dir, "merged.json", reporttest.H2C())
	raw, _ := os.ReadFile(file)
	raw = append(bytes.TrimSuffix(bytes.TrimSpace(raw), []byte("}")), []byte(`, "shards": [{"index": 0, "host": "bench-0"}]}`)...)
	_ = os.WriteFile(file, raw, 0o644)
	code, out, errOut := mainRun(t, "bench", "report", "-o", "json", "--threshold", "clients.connected==10", file)
	if code != 0 {
		t.Fatalf("bench report = exit %d: %s", code, errOut)
	}
	for _, want := range []string{`"shards": [`, `"host": "bench-0"`, `"threshold": "clients.connected==10"`, `"pass": true`} {
		if !strings.Contains(out, want) {
			t.Errorf("bench report -o json lacks %q:\n%s", want, out)
		}
	}
	if i, j := strings.Index(out, `"schema_version"`), strings.Index(out, `"config"`); i < 0 || j < i {
		t.Errorf("bench report -o json reordered the keys: schema_version at %d, config at %d", i, j)
	}
}

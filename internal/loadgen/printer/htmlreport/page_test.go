package htmlreport

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"galaxy/galaxyctl/internal/loadgen/report"
	"galaxy/galaxyctl/internal/loadgen/report/reporttest"
)

func render(t *testing.T, raw []byte) string {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, raw, Options{Generator: "galaxyctl test"}); err != nil {
		t.Fatalf("Write() = %v", err)
	}
	if dir := os.Getenv("HTMLREPORT_OUT"); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, t.Name()+".html"), b.Bytes(), 0o644)
	}
	return b.String()
}

// Nothing in the page can reach the network or run: no script, no link,
// no src or href, no CSS url() or import; the notes' markup is escaped.
func TestWriteSelfContained(t *testing.T) {
	out := render(t, sampleJSON(t))
	for _, bad := range []*regexp.Regexp{
		regexp.MustCompile(`(?i)<script`), regexp.MustCompile(`(?i)<link`), regexp.MustCompile(`(?i)<img`),
		regexp.MustCompile(`(?i)<iframe`), regexp.MustCompile(`(?i)\ssrc=`), regexp.MustCompile(`(?i)\shref=`),
		regexp.MustCompile(`(?i)url\(`), regexp.MustCompile(`(?i)@import`), regexp.MustCompile(`(?i)@font-face`),
	} {
		if loc := bad.FindStringIndex(out); loc != nil {
			t.Errorf("Write() page holds %q at %d: %q", bad, loc[0], out[max(0, loc[0]-40):min(len(out), loc[1]+40)])
		}
	}
	if !strings.Contains(out, "A note with &lt;script&gt;alert(1)&lt;/script&gt; &amp; markup, named --client-window static.") {
		t.Errorf("Write() does not show the note escaped with its hint named")
	}
	if !strings.Contains(out, "bench-&lt;1&gt;") {
		t.Errorf("Write() does not show the shard's host escaped")
	}
}

func TestWriteSections(t *testing.T) {
	out := render(t, sampleJSON(t))
	for _, want := range []string{
		`<title>galaxyctl bench: 1,000 idle clients against 127.0.0.1:7070</title>`,
		`id="chart-layers"`, `id="chart-gaps"`, `id="chart-heartbeats"`, `id="chart-traffic"`,
		`id="chart-clients"`, `id="chart-memory"`, `id="chart-projection"`,
		// the stack's totals: 154 in (19+5+9+17+104), 134 out; the model's 85
		`>154.0 B</text>`, `>134.0 B</text>`, `>85.0 B</text>`,
		`client replies`, `not modelled: what the client sends back is measured only`,
		`▲ interval 15.00s`, `288.0 B`, `1.66 MB`, `1 of 2 passed`,
		`<code>heartbeats.gap_p99_ms&lt;16s</code>`, `FAIL`,
		`<th>client_window</th><td>dynamic</td>`, `<th>scales</th><td>10,000, 100,000, 1,000,000</td>`,
		`10,000`, `16.59 GB/day`, `1.536 Mbit/s`,
		`id="shards"`, `<th>index</th><th>host</th><th>clients.requested</th><th>clients.connected</th>`,
		`<td>287.50 B</td>`, `<td>40.0 KiB</td>`, `<td>yes</td>`,
		`server memory per stream`, `13.7 KiB`,
		`Written by galaxyctl test from a report of schema version 1.`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("Write() page lacks %q", want)
		}
	}
	if strings.Contains(out, "tags") {
		t.Errorf("Write() shows a shard's array as a column")
	}
}

// A run interrupted before its window renders, saying what is missing.
func TestWriteNoWindow(t *testing.T) {
	m := reporttest.H2C()
	m.Interrupted, m.Window, m.Counters, m.TCP, m.Gaps = report.PhaseRamp, 0, report.Counters{}, report.TCPTotals{}, report.Gaps{}
	var b bytes.Buffer
	if err := WriteReport(&b, report.Build(m), nil, Options{Generator: "galaxyctl test"}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"No measurement window", "not measured: no heartbeat in a measurement window",
		"No gaps were measured.", "This report has no timeseries", `class="badge bad">interrupted`} {
		if !strings.Contains(out, want) {
			t.Errorf("Write(no window) lacks %q", want)
		}
	}
}

func TestWriteRefuses(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, []byte(`{"hello": 1}`), Options{}); !errors.Is(err, report.ErrNotReport) {
		t.Errorf("Write(other JSON) = %v, want ErrNotReport", err)
	}
	if b.Len() != 0 {
		t.Errorf("Write(other JSON) wrote %d bytes, want none", b.Len())
	}
}

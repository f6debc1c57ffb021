package report_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"galaxy/galaxyctl/internal/loadgen/report"
	"galaxy/galaxyctl/internal/loadgen/report/reporttest"
	"galaxy/galaxyctl/internal/loadgen/wire"
)

func TestNoteHints(t *testing.T) {
	n := report.NewNote("Rerun with %s, or a %s of %d intervals (%s).",
		report.Hint{Field: "ClientWindow", Value: "static"}, report.Hint{Field: "Duration"}, 3, "a\x00b")
	if got, want := n.String(), `Rerun with ClientWindow static, or a Duration of 3 intervals (a\x00b).`; got != want {
		t.Errorf("Note.String() = %q, want %q", got, want)
	}
	flags := func(h report.Hint) string {
		f := map[string]string{"ClientWindow": "--client-window", "Duration": "--duration"}[h.Field]
		if h.Value != "" {
			f += " " + h.Value
		}
		return f
	}
	if got, want := n.Text(flags), `Rerun with --client-window static, or a --duration of 3 intervals (a\x00b).`; got != want {
		t.Errorf("Note.Text(flags) = %q, want %q", got, want)
	}
	if got := report.NewNote("100 %% plain").Text(flags); got != "100 % plain" {
		t.Errorf("NewNote(no hints).Text = %q, want 100 %% plain", got)
	}
}

// The report's notes never name a command's flags: a note that suggests a
// setting names it by Config field.
func TestNotesNameNoFlags(t *testing.T) {
	m := reporttest.WithReplies(reporttest.H2C())
	m.Counters.H2In.Frames[wire.KindHeaders]++ // a HEADERS frame in the window
	m.Window = m.Gaps.Interval                 // one interval only
	r := report.Build(m)
	var hints int
	for _, n := range r.Notes {
		if s := n.String(); strings.Contains(s, "--") {
			t.Errorf("note names a flag: %q", s)
		}
		hints += len(n.Hints)
	}
	if hints < 3 {
		t.Errorf("notes carry %d hints, want at least ClientWindow, Warmup and Duration: %q", hints, r.Notes)
	}
}

// A Measurement is plain data: shipped as JSON it builds the same report.
func TestMeasurementJSONRoundTrip(t *testing.T) {
	m := reporttest.Memory(reporttest.WithReplies(reporttest.H2C()))
	m.ConnectErrors = map[string]uint64{"Unavailable": 2}
	m.ConnectErrorSamples = map[string]string{"Unavailable": "connection refused"}
	m.ServerBefore = &report.ServerSample{RSS: 1e6, HasRSS: true}
	m.ServerAfter = &report.ServerSample{RSS: 2e6, HasRSS: true}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"counters"`, `"h2_in"`, `"histogram"`, `"mem_before"`, `"connect_errors"`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("json.Marshal(Measurement) lacks %s", key)
		}
	}
	var back report.Measurement
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	want, got := report.Build(m), report.Build(back)
	wj, _ := json.Marshal(want)
	gj, _ := json.Marshal(got)
	if string(wj) != string(gj) || !reflect.DeepEqual(want.Notes, got.Notes) {
		t.Errorf("Build(Measurement after JSON) differs:\n got %s\nwant %s", gj, wj)
	}
}

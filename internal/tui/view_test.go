package tui

import (
	"slices"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"galaxy/galaxyctl/internal/loadgen"
)

// fields splits a table line into its cells.
func fields(view, row string) []string { return strings.Fields(lineWith(view, row)) }

func TestViewLayerTable(t *testing.T) {
	v := sized(fed(New(testOptions(), nil), fullSnapshot()), 100, 30).View().Content
	for _, c := range []struct {
		row  string
		want []string // the row's first cells: name words, measured, model, diff
	}{
		{"protobuf", []string{"protobuf", "19.00", "19", "+0.00"}},
		{"gRPC prefix", []string{"gRPC", "prefix", "5.00", "5", "+0.00"}},
		{"HTTP/2 frame hdr", []string{"HTTP/2", "frame", "hdr", "9.00", "9", "+0.00"}},
		{"HTTP/2 other in", []string{"HTTP/2", "other", "in", "17.00", "0", "+17.00"}},
		{"TCP payload in", []string{"TCP", "payload", "in", "50.00", "33", "+17.00"}},
		{"TCP/IP hdrs in", []string{"TCP/IP", "hdrs", "in", "104.00", "52", "+52.00"}},
		{"IP in", []string{"IP", "in", "154.00", "85", "+69.00"}},
		{"IP out", []string{"IP", "out", "134.00", "-"}},
		{"IP total", []string{"IP", "total", "288.00", "-"}},
		{"segments", []string{"segments", "4.00", "-"}},
		{"residual in/out", []string{"residual", "in/out", "0/0", "0"}},
	} {
		got := fields(v, c.row)
		if len(got) < len(c.want) || !slices.Equal(got[:len(c.want)], c.want) {
			t.Errorf("View() row %q = %q, want it to start %q", c.row, got, c.want)
		}
	}
	if strings.Contains(v, "TLS records") {
		t.Errorf("View() without TLS has a TLS row:\n%s", v)
	}
	if !strings.Contains(v, "over 100 heartbeats (measure)") {
		t.Errorf("View() lacks the heartbeat count of the layer table:\n%s", v)
	}
}

func TestViewLayerTableTLS(t *testing.T) {
	v := sized(fed(New(testOptions(), nil), withTLS(fullSnapshot())), 100, 40).View().Content
	for _, c := range []struct {
		row  string
		want []string
	}{
		{"TLS records in", []string{"TLS", "records", "in", "22.00", "22", "+0.00"}},
		{"TCP payload in", []string{"TCP", "payload", "in", "72.00", "55", "+17.00"}},
		{"IP in", []string{"IP", "in", "176.00", "107", "+69.00"}},
	} {
		got := fields(v, c.row)
		if len(got) < len(c.want) || !slices.Equal(got[:len(c.want)], c.want) {
			t.Errorf("View() with TLS row %q = %q, want it to start %q", c.row, got, c.want)
		}
	}
	if !strings.Contains(lineWith(v, "galaxyctl bench"), "TLS") {
		t.Errorf("View() with TLS header = %q, want TLS named", lineWith(v, "galaxyctl bench"))
	}
}

// The projection is the live report's: measured IP bytes, with TCP_INFO's
// segments, not an estimate.
func TestViewProjection(t *testing.T) {
	s := fullSnapshot()
	p := s.Report.Projection
	v := sized(fed(New(testOptions(), nil), s), 100, 30).View().Content
	for _, c := range []struct {
		row  string
		want []string
	}{
		{"projection @", []string{"projection", "@15s", "288.00", "IP", "B/hb"}},
		// 288 bytes every 15 s: 288 × 5760 per client per day.
		{"per client", []string{"per", "client", "1.66", "MB/day"}},
		{"  10,000  ", []string{"10,000", "16.59", "GB/day", "1.536", "Mbit/s"}},
		{"1,000,000", []string{"1,000,000", "1.66", "TB/day", "153.600", "Mbit/s"}},
	} {
		got := fields(v, c.row)
		i := slices.Index(got, c.want[0])
		if i < 0 || len(got) < i+len(c.want) || !slices.Equal(got[i:i+len(c.want)], c.want) {
			t.Errorf("View() projection row %q = %q, want %q", c.row, got, c.want)
		}
	}
	if p.BytesPerClientDay != 288*5760 || strings.Contains(v, "est.") {
		t.Errorf("report per client %v, view %q: want 1658880 and no estimate", p.BytesPerClientDay, lineWith(v, "projection"))
	}
}

func TestViewBeforeFirstSnapshot(t *testing.T) {
	v := New(testOptions(), nil).View().Content
	for _, want := range []string{"starting", "no heartbeats yet", "q stop the run"} {
		if !strings.Contains(v, want) {
			t.Errorf("View() before any snapshot lacks %q:\n%s", want, v)
		}
	}
	if got := fields(v, "protobuf"); len(got) < 3 || got[1] != "-" {
		t.Errorf("View() before any snapshot protobuf row = %q, want measured -", got)
	}
	if got := fields(v, "per client"); len(got) < 3 || got[2] != "-" {
		t.Errorf("View() before any snapshot projection = %q, want -", got)
	}
	// The first snapshots come before the first live report.
	s := fullSnapshot()
	s.Report, s.ReportPhase = nil, ""
	v = sized(fed(New(testOptions(), nil), s), 100, 30).View().Content
	if got := fields(v, "per client"); len(got) < 3 || got[2] != "-" || !strings.Contains(v, "projection @15s") {
		t.Errorf("View() before the first report: projection %q, want - at @15s:\n%s", got, v)
	}
}

func TestViewStatus(t *testing.T) {
	s := fullSnapshot()
	ramp := s
	ramp.Phase, ramp.Connected, ramp.RampRate, ramp.Failed = loadgen.PhaseRamp, 4_000, 500, 0
	done := s
	done.Phase = loadgen.PhaseDone
	for _, c := range []struct {
		name string
		snap loadgen.Snapshot
		want string
	}{
		{"measure", s, "measure 1m05s left · 3m10s"},
		{"ramp", ramp, "ramp ~12s left · 3m10s"}, // 6,000 more at 500/s
		{"done", done, "done · 3m10s"},
	} {
		v := sized(fed(New(testOptions(), nil), c.snap), 100, 30).View().Content
		if head := strings.Split(v, "\n")[0]; !strings.HasSuffix(head, c.want) {
			t.Errorf("View() header in %s = %q, want it to end %q", c.name, head, c.want)
		}
	}
}

func TestViewCounters(t *testing.T) {
	v := sized(fed(New(testOptions(), nil), fullSnapshot()), 100, 30).View().Content
	for _, want := range []string{
		"9,800/10,000", " 98%",
		"connected 9,800", "active 9,790", "ended 10", "failed 2", "connect failures 3",
		"heartbeats 1,234,567", "653.2/s", "in 21.56 kB/s", "out 1.20 kB/s",
		"p50 15.01s", "p99 16.00s", "max 16.00s", "interval 15s (expected)", "late 0", "missed 0",
		"bench   per stream 42.0 KiB  RSS 412.00 MiB", "goroutines 107,810",
		"server  per stream 34.2 KiB  RSS 346.18 MiB",
	} {
		if !strings.Contains(v, want) {
			t.Errorf("View() lacks %q:\n%s", want, v)
		}
	}
}

func TestViewErrors(t *testing.T) {
	s := fullSnapshot()
	v := sized(fed(New(testOptions(), nil), s), 100, 30).View().Content
	want := "errors   connect Unavailable 3  connect DeadlineExceeded 1  stream ResourceExhausted 10"
	if got := lineWith(v, "errors"); got != want {
		t.Errorf("View() errors = %q, want %q", got, want)
	}
	s.ConnectErrors, s.StreamErrors = nil, nil
	v = sized(fed(New(testOptions(), nil), s), 100, 30).View().Content
	if got := lineWith(v, "errors"); got != "errors   none" {
		t.Errorf("View() without errors = %q, want %q", got, "errors   none")
	}
}

// TestViewFits checks every layout stays inside the window, keeps the
// footer, and holds no escape code with colour off.
func TestViewFits(t *testing.T) {
	many := withBuckets(fullSnapshot(), manyBuckets())
	for _, c := range []struct {
		w, h  int
		tls   bool
		color bool
	}{
		{80, 24, false, false},
		{80, 24, true, false},
		{80, 24, true, true},
		{100, 30, false, false},
		{140, 30, true, true},
		{200, 60, false, true},
		{60, 20, false, false},
		{40, 10, true, false},
	} {
		o := testOptions()
		o.Color = c.color
		o.OnQuit = func() {}
		snap := many
		if c.tls {
			snap = withBuckets(withTLS(many), manyBuckets())
		}
		m := sized(fed(New(o, nil), snap), c.w, c.h)
		v := m.View().Content
		lines := strings.Split(v, "\n")
		if len(lines) > c.h {
			t.Errorf("View() at %dx%d (tls %v) = %d lines, want at most %d", c.w, c.h, c.tls, len(lines), c.h)
		}
		for i, l := range lines {
			if w := ansi.StringWidth(l); w > c.w {
				t.Errorf("View() at %dx%d line %d is %d wide, want at most %d: %q", c.w, c.h, i, w, c.w, l)
			}
		}
		if last := ansi.Strip(lines[len(lines)-1]); last != "q stop the run" {
			t.Errorf("View() at %dx%d last line = %q, want the footer", c.w, c.h, last)
		}
		if !c.color && strings.Contains(v, "\x1b") {
			t.Errorf("View() at %dx%d with colour off holds an escape code: %q", c.w, c.h, v)
		}
		if c.color && !strings.Contains(v, "\x1b[") {
			t.Errorf("View() at %dx%d with colour on holds no style", c.w, c.h)
		}
	}
}

func TestViewBarsAtHeight(t *testing.T) {
	s := withBuckets(fullSnapshot(), manyBuckets()) // 22 bars
	// At 100 wide the histogram heads the right column, over memory (3
	// lines: bench's wraps) and the projection (5), with a blank line
	// between each; the screen has 4 lines above the columns, 2 below, and
	// a blank line between each part.
	for _, c := range []struct {
		h    int
		bars int
	}{
		{60, 22},                           // all fit
		{30, 30 - 8 - (3 + 1 + 3 + 1 + 5)}, // 9: the rest of the height
		{24, 24 - 8 - (3 + 1 + 3 + 1 + 5)}, // 3
		{19, 19 - 6 - (3 + 3 + 5)},         // 2, without the blank lines
	} {
		v := sized(fed(New(testOptions(), nil), s), 100, c.h).View().Content
		if got := strings.Count(v, "≤") + strings.Count(v, ">5000s"); got != c.bars {
			t.Errorf("View() at 100x%d histogram bars = %d, want %d:\n%s", c.h, got, c.bars, v)
		}
	}
}

// TestViewShortKeepsErrors checks a screen too short for the tables cuts
// their tails, not the errors or the footer.
func TestViewShortKeepsErrors(t *testing.T) {
	for _, h := range []int{20, 8} {
		v := sized(fed(New(testOptions(), nil), withTLS(fullSnapshot())), 80, h).View().Content
		lines := strings.Split(v, "\n")
		if len(lines) != h {
			t.Errorf("View() at 80x%d = %d lines, want %d", h, len(lines), h)
		}
		if got := lines[len(lines)-3]; !strings.HasPrefix(got, "errors   connect Unavailable 3") {
			t.Errorf("View() at 80x%d third line from the end = %q, want the errors", h, got)
		}
		if got := lines[len(lines)-1]; got != "q stop the run" {
			t.Errorf("View() at 80x%d last line = %q, want the footer", h, got)
		}
	}
}

// TestColorOnlyAddsStyles checks colour changes no cell: stripped of its
// escape codes, the coloured screen is the plain one.
func TestColorOnlyAddsStyles(t *testing.T) {
	s := withBuckets(fullSnapshot(), manyBuckets())
	for _, size := range [][2]int{{80, 24}, {100, 30}, {160, 50}} {
		plainOpts, colorOpts := testOptions(), testOptions()
		colorOpts.Color = true
		p := sized(fed(New(plainOpts, nil), s), size[0], size[1]).View().Content
		c := sized(fed(New(colorOpts, nil), s), size[0], size[1]).View().Content
		if got := ansi.Strip(c); got != p {
			t.Errorf("View() at %dx%d with colour, stripped =\n%s\nwant the plain view\n%s", size[0], size[1], got, p)
		}
	}
}

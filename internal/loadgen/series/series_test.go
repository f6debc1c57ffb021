package series

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"
	"time"

	"galaxy/galaxyctl/internal/loadgen"
	"galaxy/galaxyctl/internal/loadgen/report"
)

// sample i is the run after i snapshots 250 ms apart: 10 heartbeats and
// 330 bytes in a snapshot.
func sample(i int) report.SeriesPoint {
	return report.SeriesPoint{TMS: float64(i) * 250, Heartbeats: uint64(i) * 10,
		BytesIn: uint64(i) * 330, BytesOut: uint64(i) * 30, ClientsActive: i}
}

// However many samples arrive, the series holds at most the cap, at least
// half of it once it was reached, evenly spaced from the first sample,
// and ends at the last one.
func TestRecorderCapAndSpacing(t *testing.T) {
	for _, c := range []struct{ max, n int }{
		{2000, 1}, {2000, 7}, {2000, 1999}, {2000, 2000}, {2000, 2001}, {2000, 4001},
		{2000, 123_457}, {2000, 1_000_000}, {10, 9}, {10, 10}, {10, 11}, {10, 1000}, {3, 100},
	} {
		r := NewRecorder(c.max)
		for i := range c.n {
			r.Add(sample(i))
		}
		pts := r.Series(0).Points
		name := fmt.Sprintf("Recorder(max %d) after %d samples", c.max, c.n)
		if len(pts) > c.max || len(pts) == 0 {
			t.Fatalf("%s holds %d points, want 1 to %d", name, len(pts), c.max)
		}
		if c.n >= c.max && len(pts) < c.max/2 {
			t.Errorf("%s holds %d points, want at least %d", name, len(pts), c.max/2)
		}
		if pts[0].TMS != 0 || pts[len(pts)-1].TMS != sample(c.n-1).TMS {
			t.Errorf("%s spans %v to %v ms, want 0 to %v", name, pts[0].TMS, pts[len(pts)-1].TMS, sample(c.n-1).TMS)
		}
		// Every gap but the last (to the latest sample) is the same.
		step := 0.0
		for i := 1; i < len(pts)-1; i++ {
			gap := pts[i].TMS - pts[i-1].TMS
			if step == 0 {
				step = gap
			}
			if gap != step {
				t.Fatalf("%s: gap %d is %v ms, want %v like the others", name, i, gap, step)
			}
		}
		if len(pts) > 1 {
			if last := pts[len(pts)-1].TMS - pts[len(pts)-2].TMS; last <= 0 || (step > 0 && last > step) {
				t.Errorf("%s: last gap %v ms, want in (0, %v]", name, last, step)
			}
		}
	}
}

// Rates are averages between kept points, from the cumulative counts.
func TestRecorderRates(t *testing.T) {
	r := NewRecorder(10)
	for i := range 1000 {
		r.Add(sample(i))
	}
	pts := r.Series(0).Points
	if pts[0].HeartbeatsPerS.OK() || pts[0].BytesInPerS.OK() {
		t.Errorf("first point rates = %v, %v; want missing", pts[0].HeartbeatsPerS, pts[0].BytesInPerS)
	}
	for _, p := range pts[1:] {
		if p.HeartbeatsPerS != 40 || p.BytesInPerS != 1320 || p.BytesOutPerS != 120 {
			t.Errorf("point at %v ms: rates %v/s, %v B/s in, %v B/s out; want 40, 1320, 120",
				p.TMS, p.HeartbeatsPerS, p.BytesInPerS, p.BytesOutPerS)
		}
	}
}

func TestRecorderEmpty(t *testing.T) {
	if pts := NewRecorder(0).Series(time.Second).Points; pts == nil || len(pts) != 0 {
		t.Errorf("NewRecorder(0).Series(time.Second).Points = %#v, want empty, not nil", pts)
	}
}

func TestPoint(t *testing.T) {
	rep := &report.Report{Memory: report.MemoryReport{ClientRSSAfter: 5 << 20, ServerAvailable: true, ServerRSSAfter: 9e6}}
	s := loadgen.Snapshot{Phase: loadgen.PhaseMeasure, Elapsed: 1500 * time.Millisecond, Active: 7, Connected: 8,
		Failed: 1, Heartbeats: 42, Report: rep}
	s.Counters.H2In.Bytes, s.Counters.H2Out.Bytes = 1000, 100
	s.Counters.TLSIn.Bytes = 2000
	p, ok := Point(s)
	if !ok || p.TMS != 1500 || p.ClientsActive != 7 || p.ClientsConnected != 8 || p.ClientsFailed != 1 || p.Heartbeats != 42 ||
		p.BytesIn != 1000 || p.BytesOut != 100 || p.ClientRSSBytes != 5<<20 || p.ServerRSSBytes != 9e6 {
		t.Errorf("Point(h2c snapshot) = %+v", p)
	}
	s.Config.TLS = true
	if p, _ := Point(s); p.BytesIn != 2000 {
		t.Errorf("Point(TLS snapshot).BytesIn = %d, want the TLS bytes 2000", p.BytesIn)
	}
	s.Phase = loadgen.PhaseDone
	if _, ok := Point(s); ok {
		t.Errorf("Point(final snapshot) makes a point, want none: it comes after the teardown")
	}
}

func TestWriteCSV(t *testing.T) {
	r := NewRecorder(0)
	r.Add(sample(0))
	p := sample(4)
	p.Phase, p.ClientRSSBytes, p.ServerRSSBytes = report.PhaseMeasure, 1048576, report.Missing
	r.Add(p)
	var b bytes.Buffer
	if err := WriteCSV(&b, r.Series(0)); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatalf("WriteCSV() wrote invalid CSV: %v", err)
	}
	want := [][]string{
		Columns,
		{"0", "", "0", "0", "0", "0", "", "0", "0", "", "", "0", "0"},
		{"1000", "measure", "4", "0", "0", "40", "40", "1320", "120", "1320", "120", "1048576", ""},
	}
	if fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Errorf("WriteCSV() =\n%v\nwant\n%v", rows, want)
	}
	if strings.Join(Columns, ",") != "t_ms,phase,clients_active,clients_connected,clients_failed,heartbeats,heartbeats_per_s,bytes_in,bytes_out,bytes_in_per_s,bytes_out_per_s,client_rss_bytes,server_rss_bytes" {
		t.Errorf("Columns = %v: the README documents them; change both", Columns)
	}
}

// Clients that connected together receive their heartbeats in bursts
// one interval apart; over whole intervals the rate is steady, where a
// rate between 250 ms snapshots swings between 0 and the burst.
func TestRecorderSmoothsBursts(t *testing.T) {
	r := NewRecorder(0)
	var hb uint64
	for i := range 80 { // 20 s of 250 ms snapshots; 500 heartbeats at 0.1 s past each second
		tms := float64(i) * 250
		if i > 0 && int(tms)%1000 == 250 {
			hb += 500
		}
		r.Add(report.SeriesPoint{TMS: tms, Heartbeats: hb, BytesIn: hb * 33})
	}
	for _, p := range r.Series(SmoothingSpan(time.Second)).Points {
		if p.TMS >= 2000 && (p.HeartbeatsPerS != 500 || p.BytesInPerS != 500*33) {
			t.Errorf("point at %v ms: %v heartbeats/s, %v B/s; want a steady 500 and 16500", p.TMS, p.HeartbeatsPerS, p.BytesInPerS)
		}
	}
	spiky := 0
	for _, p := range r.Series(0).Points {
		if p.HeartbeatsPerS == 0 {
			spiky++
		}
	}
	if spiky == 0 {
		t.Errorf("rates between neighbouring points never drop to 0; the test's bursts are not bursts")
	}
}

func TestSmoothingSpan(t *testing.T) {
	for _, c := range []struct{ interval, want time.Duration }{
		{0, 2 * time.Second}, {time.Second, 2 * time.Second}, {100 * time.Millisecond, 2 * time.Second},
		{300 * time.Millisecond, 2100 * time.Millisecond}, {1500 * time.Millisecond, 3 * time.Second},
		{15 * time.Second, 15 * time.Second},
	} {
		if got := SmoothingSpan(c.interval); got != c.want {
			t.Errorf("SmoothingSpan(%v) = %v, want %v", c.interval, got, c.want)
		}
	}
}

package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"galaxy/galaxyctl/internal/loadgen"
	"galaxy/galaxyctl/internal/loadgen/report"
	"galaxy/galaxyctl/internal/loadgen/report/reporttest"
)

// Log lines and progress bars read traffic in decimal SI, as the live view
// and the report do: 100,800 bytes a second is 100.80 kB/s, not 98.4 KiB/s.
func TestLogLinesUnits(t *testing.T) {
	ch := make(chan loadgen.Snapshot, 1)
	ch <- loadgen.Snapshot{Phase: loadgen.PhaseMeasure, Elapsed: time.Second, Connected: 2000, Target: 2000,
		HeartbeatsPerSec: 1996.6, BytesInPerSec: 100_800, BytesOutPerSec: 1_500}
	close(ch)
	var b bytes.Buffer
	logLines(ch, &b)
	want := "bench: measure    1.0s  connected 2,000/2,000  failed 0  heartbeats 1996.6/s  in 100.80 kB/s  out 1.50 kB/s\n"
	if got := b.String(); got != want {
		t.Errorf("logLines() = %q, want %q", got, want)
	}
	if got := trafficText(loadgen.Snapshot{BytesInPerSec: 100_800}); !strings.Contains(got, "in 100.80 kB/s") {
		t.Errorf("trafficText() = %q, want in 100.80 kB/s", got)
	}
	// With a live report, the measured IP bytes per heartbeat, as the
	// report prints them.
	rep := report.Build(reporttest.WithReplies(reporttest.H2C()))
	if got := trafficText(loadgen.Snapshot{Report: rep}); !strings.HasSuffix(got, "  IP 288.0 B/heartbeat") {
		t.Errorf("trafficText(with a report) = %q, want it to end with IP 288.0 B/heartbeat", got)
	}
}

package printer

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"galaxy/galaxyctl/internal/loadgen/report"
	"galaxy/galaxyctl/internal/loadgen/report/reporttest"
)

func TestWriteText(t *testing.T) {
	m := reporttest.WithReplies(reporttest.H2C())
	m.ConnectErrors = map[string]uint64{"Unavailable": 2}
	m.ConnectFailures = 2
	r := report.Build(m)
	var buf bytes.Buffer
	if err := WriteText(&buf, r, flagNames); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"bench: 10 clients against 127.0.0.1:7070 (h2c, client window dynamic",
		"wire cost per heartbeat",
		"  protobuf                 in    bytes     19.00     19.00  +0.00",
		"  http2_window_update      out   bytes     13.00     -      -",
		"  ip_total                 both  bytes     288.00    -      -",
		"  in   ping_ack       100     1700   1.000      17.00",
		"  connect  Unavailable  2",
		"projection at one heartbeat every 15.00s: 288.0 IP bytes per heartbeat, 1.66 MB per client per day (model, heartbeat alone: 489.60 kB)",
		"  10000    16.59 GB   1.536",
		"notes\n  - ",
		"--clientwindow static",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("WriteText() lacks %q; got:\n%s", want, out)
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteTextError(t *testing.T) {
	r := report.Build(reporttest.H2C())
	if err := WriteText(failWriter{}, r, nil); err == nil || err.Error() != "disk full" {
		t.Errorf("WriteText(failing writer) = %v, want disk full", err)
	}
	if err := WriteJSON(failWriter{}, r, nil); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("WriteJSON(failing writer) = %v, want disk full", err)
	}
}

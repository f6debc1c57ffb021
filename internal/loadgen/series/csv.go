package series

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"galaxy/galaxyctl/internal/loadgen/report"
)

// Columns are the CSV's header, the JSON keys of report.SeriesPoint in
// the same order; documented in the README.
var Columns = []string{
	"t_ms", "phase", "clients_active", "clients_connected", "clients_failed",
	"heartbeats", "heartbeats_per_s", "bytes_in", "bytes_out", "bytes_in_per_s", "bytes_out_per_s",
	"client_rss_bytes", "server_rss_bytes",
}

// WriteCSV writes ts as CSV with a header row; a missing figure is an
// empty cell.
func WriteCSV(w io.Writer, ts report.Timeseries) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(Columns); err != nil {
		return fmt.Errorf("write timeseries: %w", err)
	}
	u := func(n uint64) string { return strconv.FormatUint(n, 10) }
	i := func(n int) string { return strconv.Itoa(n) }
	for _, p := range ts.Points {
		row := []string{
			num(report.Figure(p.TMS)), string(p.Phase), i(p.ClientsActive), i(p.ClientsConnected), i(p.ClientsFailed),
			u(p.Heartbeats), num(p.HeartbeatsPerS), u(p.BytesIn), u(p.BytesOut), num(p.BytesInPerS), num(p.BytesOutPerS),
			num(p.ClientRSSBytes), num(p.ServerRSSBytes),
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("write timeseries: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write timeseries: %w", err)
	}
	return nil
}

// num writes a figure as the shortest decimal that reads back the same,
// or nothing when it is missing.
func num(f report.Figure) string {
	if !f.OK() {
		return ""
	}
	return strconv.FormatFloat(float64(f), 'f', -1, 64)
}

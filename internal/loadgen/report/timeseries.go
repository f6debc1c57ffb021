package report

// MaxSeriesPoints is the most points a Timeseries holds, however long the
// run: enough for a chart as wide as a screen, small enough for a report.
const MaxSeriesPoints = 2000

// Timeseries is a run's live figures over time, a point per snapshot
// until there are too many, then evenly thinned (see package series).
type Timeseries struct {
	Points []SeriesPoint `json:"points"`
}

// SeriesPoint is the run at one moment. Counts are cumulative since the
// run started; the rates are averages over the time since the previous
// point (missing at the first). Memory is missing where it was not read.
type SeriesPoint struct {
	TMS              float64 `json:"t_ms"` // since the run started
	Phase            Phase   `json:"phase"`
	ClientsActive    int     `json:"clients_active"`
	ClientsConnected int     `json:"clients_connected"`
	ClientsFailed    int     `json:"clients_failed"`
	Heartbeats       uint64  `json:"heartbeats"`
	HeartbeatsPerS   Figure  `json:"heartbeats_per_s"`
	// BytesIn and BytesOut are the bytes read from and written to every
	// client socket (TCP payload: TLS records with TLS).
	BytesIn        uint64 `json:"bytes_in"`
	BytesOut       uint64 `json:"bytes_out"`
	BytesInPerS    Figure `json:"bytes_in_per_s"`
	BytesOutPerS   Figure `json:"bytes_out_per_s"`
	ClientRSSBytes Figure `json:"client_rss_bytes"`
	ServerRSSBytes Figure `json:"server_rss_bytes"`
}

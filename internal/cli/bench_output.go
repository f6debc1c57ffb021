package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"galaxy/galaxyctl/internal/loadgen"
	"galaxy/galaxyctl/internal/loadgen/livemetrics"
	"galaxy/galaxyctl/internal/loadgen/printer"
	"galaxy/galaxyctl/internal/loadgen/printer/htmlreport"
	"galaxy/galaxyctl/internal/loadgen/report"
	"galaxy/galaxyctl/internal/loadgen/series"
	"galaxy/galaxyctl/internal/loadgen/threshold"
	"galaxy/galaxyctl/internal/telemetry"
)

// benchExtras are bench's outputs beside the report on stdout: the HTML
// page, the timeseries CSV, the thresholds that gate a run, and the live
// metrics for Prometheus.
type benchExtras struct {
	htmlFile       string
	timeseriesFile string
	thresholdSpecs []string
	metricsListen  string

	thresholds []threshold.Threshold
	series     *series.Recorder
	metrics    *livemetrics.Metrics
	provider   *telemetry.Provider
	server     *telemetry.Server
}

func (b *benchExtras) addFlags(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&b.htmlFile, "report-html", "", "also write the report as a self-contained HTML page to this file")
	fs.StringVar(&b.timeseriesFile, "timeseries", "", "also write the run's live figures over time as CSV to this file")
	fs.StringArrayVar(&b.thresholdSpecs, "threshold", nil, "fail (exit 3) unless a report key meets a limit: KEY OP VALUE, like 'bytes.ip_per_heartbeat<=160' (repeatable)")
	fs.StringVar(&b.metricsListen, "metrics-listen", "", "serve bench's live figures as Prometheus /metrics on HOST:PORT (port 0 picks one)")
	_ = cmd.MarkFlagFilename("report-html", "html")
	_ = cmd.MarkFlagFilename("timeseries", "csv")
}

// complete checks that the files can be written, so a long run's result
// is not lost at its end.
func (b *benchExtras) complete() error {
	if err := checkWritable("--report-html", b.htmlFile); err != nil {
		return err
	}
	return checkWritable("--timeseries", b.timeseriesFile)
}

// validate parses the thresholds and checks the metrics address.
func (b *benchExtras) validate() error {
	ts, err := parseThresholds(b.thresholdSpecs, false)
	if err != nil {
		return err
	}
	b.thresholds = ts
	if b.metricsListen != "" {
		return checkHostPort("--metrics-listen", b.metricsListen, true)
	}
	return nil
}

// start records the snapshots into the timeseries and, with
// --metrics-listen, serves the live metrics; stop ends the serving.
func (b *benchExtras) start(g *globalOptions, cfg *loadgen.Config) (stop func(), err error) {
	b.series = series.NewRecorder(report.MaxSeriesPoints)
	observe := []func(loadgen.Snapshot){func(s loadgen.Snapshot) {
		if p, ok := series.Point(s); ok {
			b.series.Add(p)
		}
	}}
	stop = func() {}
	if b.metricsListen != "" {
		if b.provider, err = telemetry.New(); err != nil {
			return nil, err
		}
		cfg.Meter = b.provider.Meter("galaxy/galaxyctl/internal/loadgen")
		if b.metrics, err = livemetrics.New(b.provider.Meter("galaxy/galaxyctl/internal/loadgen/livemetrics")); err != nil {
			return nil, err
		}
		if b.server, err = telemetry.Listen(b.metricsListen, b.provider); err != nil {
			return nil, fmt.Errorf("--metrics-listen: %w", err)
		}
		// Progress on stderr is best effort: a failed write must not fail the run.
		_, _ = fmt.Fprintf(g.streams.ErrOut, "bench: live metrics on http://%s/metrics\n", b.server.Addr())
		observe = append(observe, b.metrics.Observe)
		stop = func() {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			if err := b.server.Close(ctx); err != nil {
				g.Logger().Warn("metrics server", zap.Error(err))
			}
			_ = b.metrics.Close()
			_ = b.provider.Shutdown(ctx)
		}
	}
	cfg.OnSnapshot = chainSnapshots(append([]func(loadgen.Snapshot){cfg.OnSnapshot}, observe...)...)
	return stop, nil
}

// chainSnapshots calls each non-nil f in turn with every snapshot.
func chainSnapshots(fs ...func(loadgen.Snapshot)) func(loadgen.Snapshot) {
	var live []func(loadgen.Snapshot)
	for _, f := range fs {
		if f != nil {
			live = append(live, f)
		}
	}
	return func(s loadgen.Snapshot) {
		for _, f := range live {
			f(s)
		}
	}
}

// attach adds the timeseries to the report and checks the thresholds
// against its JSON.
func (b *benchExtras) attach(r *report.Report) error {
	if b.series != nil {
		interval := r.Heartbeats.IntervalMS
		if interval <= 0 {
			interval = r.Config.ExpectedIntervalMS
		}
		r.Timeseries = b.series.Series(series.SmoothingSpan(time.Duration(interval * float64(time.Millisecond))))
	}
	raw, err := reportJSON(r)
	if err != nil {
		return err
	}
	r.Thresholds, err = checkThresholds(raw, b.thresholds)
	return err
}

// writeFiles writes the HTML page and the timeseries, after the report
// is on stdout, so a file that fails costs no printed result.
func (b *benchExtras) writeFiles(r *report.Report) error {
	if b.htmlFile != "" {
		err := writeFile("--report-html", b.htmlFile, func(w io.Writer) error {
			return htmlreport.WriteReport(w, r, benchFlagName, htmlreport.Options{Generator: versionString()})
		})
		if err != nil {
			return err
		}
	}
	if b.timeseriesFile != "" {
		return writeFile("--timeseries", b.timeseriesFile, func(w io.Writer) error { return series.WriteCSV(w, r.Timeseries) })
	}
	return nil
}

// verdict prints the thresholds' table on w and fails when one did.
func (b *benchExtras) verdict(w io.Writer, r *report.Report) error {
	if err := threshold.WriteText(w, r.Thresholds); err != nil {
		return err
	}
	return thresholdVerdict(r.Thresholds)
}

// writeReportJSON writes r as bench prints it, hints named by flag.
func writeReportJSON(w io.Writer, r *report.Report) error {
	return printer.WriteJSON(w, r, benchFlagName)
}

package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"

	"github.com/spf13/cobra"

	"galaxy/galaxyctl/internal/loadgen/printer"
	"galaxy/galaxyctl/internal/loadgen/printer/htmlreport"
	"galaxy/galaxyctl/internal/loadgen/series"
	"galaxy/galaxyctl/internal/loadgen/threshold"
)

// benchReportOptions is `bench report`: a saved report printed again, as
// an HTML page or CSV, or checked against thresholds.
type benchReportOptions struct {
	g *globalOptions

	output         string
	htmlFile       string
	timeseriesFile string
	thresholdSpecs []string

	file       string
	thresholds []threshold.Threshold
	loaded     *loadedReport
}

func newBenchReportCmd(g *globalOptions, runF func(context.Context, *benchReportOptions) error) *cobra.Command {
	o := &benchReportOptions{g: g}
	cmd := &cobra.Command{
		Use:   "report [flags] REPORT.json",
		Short: "Print a saved bench report again, as HTML, as CSV, or against thresholds",
		Long: `Report reads a bench report saved with 'bench -o json' or 'bench --report' and
writes it again: as text or JSON on stdout, as a self-contained HTML page
(--html), its timeseries as CSV (--timeseries), and checked against
--threshold limits (exit 3 when one fails), as bench itself would have.

With --html or --timeseries nothing is printed on stdout unless -o asks.`,
		Example: `  # an HTML page to share, from a saved report
  galaxyctl bench report --html bench.html bench.json

  # gate on a saved report
  galaxyctl bench report --threshold 'bytes.ip_per_heartbeat<=160' bench.json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("%s takes one argument, the report file (the JSON of bench --report), got %d", cmd.CommandPath(), len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.file = args[0]
			if err := o.complete(cmd); err != nil {
				return err
			}
			if err := o.validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return o.run()
		},
	}
	fs := cmd.Flags()
	fs.StringVarP(&o.output, "output", "o", "", "print the report on stdout: "+joinOr(benchOutputs)+" (default text, none with --html or --timeseries)")
	fs.StringVar(&o.htmlFile, "html", "", "write the report as a self-contained HTML page to this file")
	fs.StringVar(&o.timeseriesFile, "timeseries", "", "write the report's timeseries as CSV to this file")
	fs.StringArrayVar(&o.thresholdSpecs, "threshold", nil, "fail (exit 3) unless a report key meets a limit: KEY OP VALUE (repeatable)")
	registerEnumCompletion(cmd, "output", benchOutputs)
	_ = cmd.MarkFlagFilename("html", "html")
	_ = cmd.MarkFlagFilename("timeseries", "csv")
	return cmd
}

// complete reads the report and checks that the outputs can be written.
func (o *benchReportOptions) complete(cmd *cobra.Command) error {
	if o.output == "" && !cmd.Flags().Changed("output") && o.htmlFile == "" && o.timeseriesFile == "" {
		o.output = "text"
	}
	if err := checkWritable("--html", o.htmlFile); err != nil {
		return err
	}
	if err := checkWritable("--timeseries", o.timeseriesFile); err != nil {
		return err
	}
	l, err := loadReport("report file", o.file)
	if err != nil {
		return err
	}
	o.loaded = l
	return nil
}

func (o *benchReportOptions) validate() error {
	if o.output != "" && !contains(benchOutputs, o.output) {
		return usagef("--output %q is not one of %s", o.output, joinOr(benchOutputs))
	}
	ts, err := parseThresholds(o.thresholdSpecs, false)
	o.thresholds = ts
	return err
}

// run writes stdout first, then the files, then the thresholds' verdict.
// JSON and HTML come from the file's own JSON, its thresholds replaced
// by those checked here, so keys this version does not know still show.
func (o *benchReportOptions) run() error {
	r, raw := o.loaded.rep, o.loaded.raw
	if len(o.thresholds) > 0 {
		rs, err := checkThresholds(raw, o.thresholds)
		if err != nil {
			return err
		}
		r.Thresholds = rs
		if raw, err = withThresholds(raw, rs); err != nil {
			return err
		}
	}
	out := o.g.streams.Out
	switch o.output {
	case "json":
		var b bytes.Buffer
		if err := json.Indent(&b, raw, "", "  "); err != nil {
			return err
		}
		b.WriteByte('\n')
		if _, err := b.WriteTo(out); err != nil {
			return err
		}
	case "text":
		if err := printer.WriteText(out, r, benchFlagName); err != nil {
			return err
		}
	}
	if o.htmlFile != "" {
		err := writeFile("--html", o.htmlFile, func(w io.Writer) error {
			return htmlreport.Write(w, raw, htmlreport.Options{Generator: versionString()})
		})
		if err != nil {
			return err
		}
	}
	if o.timeseriesFile != "" {
		err := writeFile("--timeseries", o.timeseriesFile, func(w io.Writer) error { return series.WriteCSV(w, r.Timeseries) })
		if err != nil {
			return err
		}
	}
	if len(o.thresholds) == 0 {
		return nil
	}
	if err := threshold.WriteText(o.g.streams.ErrOut, r.Thresholds); err != nil {
		return err
	}
	return thresholdVerdict(r.Thresholds)
}

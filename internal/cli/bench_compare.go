package cli

import (
	"context"

	"github.com/spf13/cobra"

	"galaxy/galaxyctl/internal/loadgen/compare"
	"galaxy/galaxyctl/internal/loadgen/report"
	"galaxy/galaxyctl/internal/loadgen/threshold"
)

// benchCompareOptions is `bench compare BASE.json NEW.json`.
type benchCompareOptions struct {
	g *globalOptions

	output         string
	thresholdSpecs []string

	baseFile, newFile string
	thresholds        []threshold.Threshold
	base, new         *loadedReport
}

func newBenchCompareCmd(g *globalOptions, runF func(context.Context, *benchCompareOptions) error) *cobra.Command {
	o := &benchCompareOptions{g: g}
	cmd := &cobra.Command{
		Use:   "compare [flags] BASE.json NEW.json",
		Short: "Set two bench reports side by side, and gate a change on them",
		Long: `Compare reads two reports saved with 'bench --report' (or -o json) and prints
each figure of both side by side with its change, absolute and relative:
bytes per heartbeat and per layer, segments, gaps, memory per stream on each
side, the projection, the clients. It lists the configuration keys that
differ and warns that the changes include their effect: comparing a static
with a dynamic window, or TLS with h2c, is what it is for.

--threshold holds the new report to limits: KEY:+5% fails when NEW is more
than BASE × 1.05, KEY:-5% when it is less than BASE × 0.95, and KEY OP VALUE
holds NEW alone. A failed threshold exits 3. Only a file that is not a
bench report, or of another schema version, is refused (exit 2).`,
		Example: `  # what a static window saves over grpc-go's dynamic one
  galaxyctl bench --client-window dynamic --report base.json
  galaxyctl bench --client-window static --report new.json
  galaxyctl bench compare base.json new.json

  # fail CI when the change costs more than 5 % more bytes per heartbeat
  galaxyctl bench compare --threshold 'bytes.ip_per_heartbeat:+5%' main.json branch.json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return usagef("%s takes two arguments, the base and the new report (the JSON of bench --report), got %d", cmd.CommandPath(), len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.baseFile, o.newFile = args[0], args[1]
			if err := o.validate(); err != nil {
				return err
			}
			if err := o.complete(); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return o.run()
		},
	}
	fs := cmd.Flags()
	fs.StringVarP(&o.output, "output", "o", "text", "output format: "+joinOr(benchOutputs))
	fs.StringArrayVar(&o.thresholdSpecs, "threshold", nil, "fail (exit 3) unless NEW meets a limit: KEY:+N% or KEY:-N% against BASE, or KEY OP VALUE (repeatable)")
	registerEnumCompletion(cmd, "output", benchOutputs)
	return cmd
}

// validate checks the flags; it does no I/O.
func (o *benchCompareOptions) validate() error {
	if !contains(benchOutputs, o.output) {
		return usagef("--output %q is not one of %s", o.output, joinOr(benchOutputs))
	}
	ts, err := parseThresholds(o.thresholdSpecs, true)
	o.thresholds = ts
	return err
}

// complete reads both reports.
func (o *benchCompareOptions) complete() error {
	var err error
	if o.base, err = loadReport("base report", o.baseFile); err != nil {
		return err
	}
	o.new, err = loadReport("new report", o.newFile)
	return err
}

func (o *benchCompareOptions) run() error {
	res := compare.Compare(input(o.base), input(o.new), o.thresholds)
	var err error
	if o.output == "json" {
		err = compare.WriteJSON(o.g.streams.Out, res)
	} else {
		err = compare.WriteText(o.g.streams.Out, res)
	}
	if err != nil {
		return err
	}
	rs := make([]report.ThresholdResult, len(res.Thresholds))
	for i, t := range res.Thresholds {
		rs[i] = t.ThresholdResult
	}
	return thresholdVerdict(rs)
}

func input(l *loadedReport) compare.Input {
	return compare.Input{File: l.file, Report: l.rep, Doc: l.doc}
}

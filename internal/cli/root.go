// Package cli holds galaxyctl's commands: one file per command with its
// flags, validation and wiring. Protocol logic lives in the engines
// (backend, gateway, subscribe, loadgen); nothing here writes to os.Stdout or
// exits the process: Main returns an exit code and main exits with it.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.uber.org/zap"
)

// globalOptions are the flags every command shares, and what they build.
type globalOptions struct {
	streams   IOStreams
	logLevel  string
	logFormat string
	logger    *zap.Logger
	// getenv reads the environment; nil means os.Getenv. Tests inject one.
	getenv func(string) string
}

// env returns the environment variable key.
func (g *globalOptions) env(key string) string {
	if g.getenv == nil {
		return os.Getenv(key)
	}
	return g.getenv(key)
}

// Logger returns the logger built from --log-level and --log-format.
func (g *globalOptions) Logger() *zap.Logger {
	if g.logger == nil {
		return zap.NewNop()
	}
	return g.logger
}

// NewRootCmd builds the galaxyctl command tree over streams.
func NewRootCmd(streams IOStreams) *cobra.Command {
	g := &globalOptions{streams: streams}
	root := &cobra.Command{
		Use:   "galaxyctl",
		Short: "Diagnose, run and load-test the galaxy push pipeline",
		Long: `galaxyctl is the diagnostic and load tool for the galaxy push pipeline: a backend
that keeps a freshness-window ring of push events with cursors, gateways that
subscribe to it and fan events out to clients over server streams, and a
heartbeat that keeps idle client streams alive.

Data (events, cursors, reports) goes to stdout; logs, progress and the live
view go to stderr.`,
		Version:       versionString(),
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(_ *cobra.Command, _ []string) error {
			l, err := newLogger(streams.ErrOut, g.logLevel, g.logFormat)
			if err != nil {
				return err
			}
			g.logger = l
			return nil
		},
	}
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err: err} })
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "info", "log level: "+joinOr(logLevels))
	root.PersistentFlags().StringVar(&g.logFormat, "log-format", "console", "log format: "+joinOr(logFormats))
	registerEnumCompletion(root, "log-level", logLevels)
	registerEnumCompletion(root, "log-format", logFormats)

	// Groups make `galaxyctl --help` read as a table of contents.
	root.AddGroup(
		&cobra.Group{ID: "pipeline", Title: "Run and follow the pipeline:"},
		&cobra.Group{ID: "measure", Title: "Measure:"},
		&cobra.Group{ID: "tool", Title: "About galaxyctl itself:"},
	)
	for group, cmds := range map[string][]*cobra.Command{
		"pipeline": {newServeCmd(g, nil), newPublishCmd(g, nil), newTailCmd(g, nil)},
		"measure":  {newBenchCmd(g, nil)},
		"tool":     {newVersionCmd(g), newDocsCmd(g), newCompletionCmd(g)},
	} {
		for _, c := range cmds {
			c.GroupID = group
			root.AddCommand(c)
		}
	}
	root.SetHelpCommandGroupID("tool")
	root.CompletionOptions.DisableDefaultCmd = true
	completeNoFiles(root)
	return root
}

// Main runs galaxyctl with args and returns the process exit code. Errors
// are printed once, here.
func Main(ctx context.Context, args []string, streams IOStreams) int {
	root := NewRootCmd(streams)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return ExitOK
	}
	if isCobraUsageError(err) {
		err = &usageError{err: err}
	}
	if f := root.PersistentFlags().Lookup("log-format"); f != nil && f.Value.String() == "json" {
		printJSONError(streams.ErrOut, cmd, err)
	} else {
		printError(streams.ErrOut, cmd, err)
	}
	return exitCode(ctx, err)
}

// printJSONError is printError for --log-format json: one log entry, the
// hint and detail as fields.
func printJSONError(w io.Writer, cmd *cobra.Command, err error) {
	l, lerr := newLogger(w, "error", "json")
	if lerr != nil {
		printError(w, cmd, err)
		return
	}
	var fields []zap.Field
	var ue *usageError
	if errors.As(err, &ue) && cmd != nil {
		fields = append(fields, zap.String("hint", fmt.Sprintf("Run '%s --help' for usage.", cmd.CommandPath())))
	}
	var d interface{ Detail() string }
	if errors.As(err, &d) && d.Detail() != "" {
		fields = append(fields, zap.String("detail", d.Detail()))
	}
	l.Error(err.Error(), fields...)
}

// printError prints err once, on one line, then what goes with it: the
// usage hint for a usage error, or the detail (say, a child process's
// output) of an error that carries one.
//
// Write errors are dropped: stderr is the last place to report anything.
func printError(w io.Writer, cmd *cobra.Command, err error) {
	_, _ = fmt.Fprintf(w, "Error: %v\n", err)
	var ue *usageError
	if errors.As(err, &ue) && cmd != nil {
		_, _ = fmt.Fprintf(w, "Run '%s --help' for usage.\n", cmd.CommandPath())
	}
	var d interface{ Detail() string }
	if errors.As(err, &d) {
		if detail := d.Detail(); detail != "" {
			_, _ = fmt.Fprint(w, strings.TrimSuffix(detail, "\n")+"\n")
		}
	}
}

// isCobraUsageError recognises the errors cobra itself returns for bad argv,
// which are plain errors: an unknown command or a wrong argument count.
func isCobraUsageError(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand", "accepts ", "requires ", "invalid argument", "flag needs an argument"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// noArgs rejects positional arguments as a usage error naming them.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("%s takes no arguments, got %q", cmd.CommandPath(), args)
	}
	return nil
}

// registerEnumCompletion makes a flag complete exactly its allowed values.
// It is only called with flags the command defines, so the error (an
// unknown flag) cannot happen.
func registerEnumCompletion(cmd *cobra.Command, flag string, values []string) {
	_ = cmd.RegisterFlagCompletionFunc(flag, cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp))
}

// completeNoFiles makes every flag that takes a value, and has neither a
// file annotation nor a completion of its own, complete nothing, and the
// arguments of commands that complete none: without a function cobra tells
// the shell to offer file names, which for --addr 127.0.0.1:7070 or
// --count 10 is noise.
func completeNoFiles(cmd *cobra.Command) {
	cmd.LocalFlags().VisitAll(func(f *pflag.Flag) {
		if f.NoOptDefVal != "" || f.Name == "help" { // a bool, or a flag whose value is optional
			return
		}
		if _, isFile := f.Annotations[cobra.BashCompFilenameExt]; isFile {
			return
		}
		if _, ok := cmd.GetFlagCompletionFunc(f.Name); ok {
			return
		}
		_ = cmd.RegisterFlagCompletionFunc(f.Name, cobra.NoFileCompletions)
	})
	// Likewise for arguments of a command that takes none.
	if !cmd.HasSubCommands() && cmd.ValidArgsFunction == nil && len(cmd.ValidArgs) == 0 {
		cmd.ValidArgsFunction = cobra.NoFileCompletions
	}
	for _, c := range cmd.Commands() {
		completeNoFiles(c)
	}
}

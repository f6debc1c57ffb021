package cli

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// cmdResult is what a command run by runCommand printed and returned.
type cmdResult struct {
	out, errOut *syncBuffer
	err         error

	// in is the command's stdin (empty if nil); inData says it is a pipe
	// or a file, as IOStreams.InData.
	in     io.Reader
	inData bool
	// outWidth is stdout's terminal width, as IOStreams.OutWidth (0: not
	// a terminal); logFormat is --log-format ("console" if empty).
	outWidth  int
	logFormat string
}

// runCommand builds a command with build, parses argv through complete and
// validate, and then calls run with the completed options, in which a test
// injects its fakes (a stub's dialer, a fake clock) before acting. env is
// the whole environment the command sees.
func runCommand[T any](ctx context.Context, t *testing.T, build func(*globalOptions, func(context.Context, *T) error) *cobra.Command,
	args []string, env map[string]string, run func(context.Context, *T) error) cmdResult {
	t.Helper()
	return runCommandTo(ctx, t, newCmdResult(), build, args, env, run)
}

func newCmdResult() cmdResult { return cmdResult{out: &syncBuffer{}, errOut: &syncBuffer{}} }

// runCommandTo is runCommand writing to r's buffers, which a test may
// watch while the command runs.
func runCommandTo[T any](ctx context.Context, t *testing.T, r cmdResult, build func(*globalOptions, func(context.Context, *T) error) *cobra.Command,
	args []string, env map[string]string, run func(context.Context, *T) error) cmdResult {
	t.Helper()
	in := r.in
	if in == nil {
		in = strings.NewReader("")
	}
	format := r.logFormat
	if format == "" {
		format = "console"
	}
	g := &globalOptions{streams: IOStreams{In: in, InData: r.inData, Out: r.out, OutWidth: r.outWidth, ErrOut: r.errOut},
		logLevel: "info", logFormat: format, getenv: func(k string) string { return env[k] }}
	l, err := newLogger(r.errOut, "info", format)
	if err != nil {
		t.Fatal(err)
	}
	g.logger = l
	cmd := build(g, run)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true // as the root sets them
	cmd.SetArgs(args)
	cmd.SetOut(r.out)
	cmd.SetErr(r.errOut)
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err: err} })
	_, r.err = cmd.ExecuteContextC(ctx)
	return r
}

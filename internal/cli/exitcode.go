package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Exit codes, documented in the README. One place maps errors to them.
const (
	ExitOK          = 0
	ExitFailure     = 1   // the command ran and failed
	ExitUsage       = 2   // unknown flag, bad value: nothing was done
	ExitThreshold   = 3   // a bench threshold failed; the report was printed
	ExitInterrupted = 130 // SIGINT/SIGTERM ended a command that treats it as failure
)

// exitCodes is the README's table of exit codes, the same for every
// command, in its words (markdown); the man pages print it too, and a test
// keeps the README's copy equal to it.
var exitCodes = []struct {
	code    int
	meaning string
}{
	{ExitOK, "success; also `tail` and `serve` ended by Ctrl-C or SIGTERM (tail prints the resume command first)"},
	{ExitFailure, "the command ran and failed (unreachable server, stream error, `--timeout` before `--count` events, an output file that could not be written after the report was printed); also a `tail` that never connected, whose events failed `--verify-key` (a bad or missing signature, a replay), or that the server dropped for falling behind, however it ended (Ctrl-C, `--count`, `--timeout`), with a summary"},
	{ExitUsage, "usage error: unknown command or flag, bad value (a `--threshold` with an unknown key, a bad operator or unit; a report file for `bench report` or `compare` that cannot be read, is not a bench report or has another schema version; an output file that cannot be written, found before the run); nothing was done"},
	{ExitThreshold, "a bench threshold failed (`bench --threshold`, `bench report --threshold`, `bench compare --threshold`): the command did its work and printed its result"},
	{ExitInterrupted, "interrupted (SIGINT/SIGTERM) in a command that does not treat it as a normal end"},
}

// usageError marks an error as the user's input being wrong.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usagef builds a usage error; its text names the flag or value and what
// would be accepted.
func usagef(format string, args ...any) error {
	return &usageError{err: fmt.Errorf(format, args...)}
}

// thresholdError says that thresholds failed: the command did its work
// and printed its result, and the result did not meet them.
type thresholdError struct {
	failed []string // the thresholds that failed, as given
	total  int
}

func (e *thresholdError) Error() string {
	return fmt.Sprintf("%d of %d thresholds failed: %s", len(e.failed), e.total, strings.Join(e.failed, ", "))
}

// failedError marks a failure that stands when the run was interrupted
// too: tail ended by Ctrl-C is a normal end, but not when its events failed
// verification or it never connected.
type failedError struct{ err error }

func (e *failedError) Error() string { return e.err.Error() }
func (e *failedError) Unwrap() error { return e.err }

// failed marks err as a failure whatever ended the run.
func failed(err error) error { return &failedError{err: err} }

// exitCode maps the error a command returned to the process's exit code.
func exitCode(ctx context.Context, err error) int {
	var ue *usageError
	var te *thresholdError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ue):
		return ExitUsage
	case errors.As(err, new(*failedError)):
		return ExitFailure
	case errors.As(err, &te):
		return ExitThreshold
	case ctx.Err() != nil:
		return ExitInterrupted
	default:
		return ExitFailure
	}
}

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

// exitCode maps the error a command returned to the process's exit code.
func exitCode(ctx context.Context, err error) int {
	var ue *usageError
	var te *thresholdError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ue):
		return ExitUsage
	case errors.As(err, &te):
		return ExitThreshold
	case ctx.Err() != nil:
		return ExitInterrupted
	default:
		return ExitFailure
	}
}

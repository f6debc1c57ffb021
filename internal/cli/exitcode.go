package cli

import (
	"context"
	"errors"
	"fmt"
)

// Exit codes, documented in the README. One place maps errors to them.
const (
	ExitOK          = 0
	ExitFailure     = 1   // the command ran and failed
	ExitUsage       = 2   // unknown flag, bad value: nothing was done
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

// exitCode maps the error a command returned to the process's exit code.
func exitCode(ctx context.Context, err error) int {
	var ue *usageError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ue):
		return ExitUsage
	case ctx.Err() != nil:
		return ExitInterrupted
	default:
		return ExitFailure
	}
}

package cli

import (
	"io"
	"os"

	"golang.org/x/term"
)

// IOStreams are the standard streams a command writes to, injected so tests
// can capture them and so nothing writes to os.Stdout directly.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer // data: reports, events, cursors
	ErrOut io.Writer // progress, TUI, logs, warnings

	// ErrTTY says whether ErrOut is a terminal: bars and the TUI need one.
	ErrTTY bool
	// Color says whether ErrOut may carry colour (a terminal, and NO_COLOR unset).
	Color bool
}

// SystemStreams returns the process's own streams.
func SystemStreams() IOStreams {
	tty := term.IsTerminal(int(os.Stderr.Fd()))
	_, noColor := os.LookupEnv("NO_COLOR")
	return IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr, ErrTTY: tty, Color: tty && !noColor}
}

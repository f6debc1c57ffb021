package cli

import (
	"io"
	"os"

	"golang.org/x/term"
)

// IOStreams are the standard streams a command writes to, injected so tests
// can capture them and so nothing writes to os.Stdout directly.
type IOStreams struct {
	In io.Reader
	// InData says In is a pipe or a regular file, so data may be waiting
	// in it that a command reading no stdin would silently ignore; a
	// terminal or /dev/null is not.
	InData bool
	Out    io.Writer // data: reports, events, cursors
	// OutWidth is Out's terminal width in cells, 0 when Out is not a
	// terminal (a pipe or a file gets whole lines).
	OutWidth int
	ErrOut   io.Writer // progress, TUI, logs, warnings

	// ErrTTY says whether ErrOut is a terminal: bars and the TUI need one.
	ErrTTY bool
	// Color says whether ErrOut may carry colour (a terminal, and NO_COLOR unset).
	Color bool
}

// SystemStreams returns the process's own streams.
func SystemStreams() IOStreams {
	tty := term.IsTerminal(int(os.Stderr.Fd()))
	_, noColor := os.LookupEnv("NO_COLOR")
	width := 0
	if w, _, err := term.GetSize(int(os.Stdout.Fd())); err == nil {
		width = w
	}
	return IOStreams{In: os.Stdin, InData: isData(os.Stdin), Out: os.Stdout, OutWidth: width, ErrOut: os.Stderr, ErrTTY: tty, Color: tty && !noColor}
}

// isData reports whether f is a pipe, a socket or a regular file.
func isData(f *os.File) bool {
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	m := fi.Mode()
	return m&(os.ModeNamedPipe|os.ModeSocket) != 0 || m.IsRegular()
}

package tui

import (
	"context"
	"fmt"
	"io"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"galaxy/galaxyctl/internal/loadgen"
)

// Run shows the view on out, reading keys from in, until ch is closed. It
// returns nil then, or after a second ctrl+c (which gives up waiting for
// the engine); ctx's error when ctx ends first; or the program's error.
// The terminal is restored before it returns.
//
// ctx should be the command's context, not the run's: OnQuit cancels the
// run, and the view must outlive that to show the run winding down.
// Signals are left to the caller: Bubble Tea's own handler is off, so a
// SIGINT that does not come through a raw-mode terminal reaches the
// caller's signal.NotifyContext, which ends ctx. Once Run has returned
// nobody reads ch, so the caller should drain it (or send without
// blocking) until the engine closes it.
func Run(ctx context.Context, ch <-chan loadgen.Snapshot, in io.Reader, out io.Writer, opts Options) error {
	// stop ends the goroutines Run starts, and any snapshot Cmd still
	// waiting, when the program is over.
	stop := make(chan struct{})
	m := New(opts, ch)
	m.stop = stop

	popts := []tea.ProgramOption{
		tea.WithInput(in),
		tea.WithOutput(out),
		tea.WithoutSignalHandler(),
		// Only used when out is not a terminal; a terminal's size wins.
		tea.WithWindowSize(defaultWidth, defaultHeight),
	}
	if !m.opts.Color {
		popts = append(popts, tea.WithColorProfile(colorprofile.Ascii))
	}
	p := tea.NewProgram(m, popts...)

	watched := make(chan struct{})
	go func() {
		defer close(watched)
		select {
		case <-ctx.Done():
			// Quit through the model rather than tea.WithContext, which
			// kills the program and skips the last render.
			p.Send(DoneMsg{Err: ctx.Err()})
		case <-stop:
		}
	}()

	final, err := p.Run()
	close(stop)
	<-watched
	if err != nil {
		return fmt.Errorf("bench tui: %w", err)
	}
	if fm, ok := final.(Model); ok {
		return fm.err
	}
	return nil
}

package tui

import (
	"time"

	"galaxy/galaxyctl/internal/loadgen"
)

// Options configure the view. The CLI fills them from its flags; the
// engine's own settings are echoed here because a Snapshot carries only
// what changes while the run goes on.
type Options struct {
	// Title heads the screen; empty means "galaxyctl bench".
	Title string
	// Target is the gateway's address, or "embedded".
	Target string
	// TLS selects the model's TLS rows and figures (DESIGN.md's 22-byte
	// record, 55 bytes on the socket).
	TLS bool
	// ClientWindow is the client's flow-control mode ("dynamic" or
	// "static"), shown in the header.
	ClientWindow string
	// ProjectInterval is the heartbeat interval of the live projection; 0
	// means loadgen.DefaultProjectInterval.
	ProjectInterval time.Duration
	// Scales are the fleet sizes of the projection; nil means
	// loadgen.DefaultScales().
	Scales []int
	// Color false renders no colour and no other styling at all: for
	// NO_COLOR and for output that is not a terminal.
	Color bool
	// OnQuit is called once, from a Cmd, when the user presses q or
	// ctrl+c; the CLI passes the cancel func of the run's context. The view
	// keeps rendering until the engine closes the snapshot channel.
	OnQuit func()
}

// withDefaults fills the zero values the way loadgen.Config does, so the
// live projection matches the report's.
func (o Options) withDefaults() Options {
	if o.Title == "" {
		o.Title = "galaxyctl bench"
	}
	if o.ProjectInterval <= 0 {
		o.ProjectInterval = loadgen.DefaultProjectInterval
	}
	if o.Scales == nil {
		o.Scales = loadgen.DefaultScales()
	}
	return o
}

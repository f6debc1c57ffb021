package tui

// Options configure the view. The run's own settings (transport, client
// window, projection) come with each snapshot, resolved by the engine.
type Options struct {
	// Title heads the screen; empty means "galaxyctl bench".
	Title string
	// Target is the gateway's address, or "embedded".
	Target string
	// Color false renders no colour and no other styling at all: for
	// NO_COLOR and for output that is not a terminal.
	Color bool
	// OnQuit is called once, from a Cmd, when the user presses q or
	// ctrl+c; the CLI passes the cancel func of the run's context. The view
	// keeps rendering until the engine closes the snapshot channel.
	OnQuit func()
}

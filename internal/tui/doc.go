// Package tui is the live terminal view of `galaxyctl bench`: a Bubble Tea
// model that renders the aggregated loadgen.Snapshot the engine emits every
// 250 ms, and Run, which drives it on a terminal until the engine closes
// its snapshot channel.
//
// The model is a value and its Update is pure: the snapshot feed is a Cmd
// that waits for one snapshot and is re-armed after each (Bubble Tea's
// examples/realtime pattern), and stopping the run is a Cmd that calls
// Options.OnQuit. The final report is not the TUI's business: the CLI
// prints it to stdout once Run has returned and the terminal is restored.
package tui

package tui

import (
	tea "charm.land/bubbletea/v2"

	"galaxy/galaxyctl/internal/loadgen"
)

// SnapshotMsg carries one snapshot from the engine.
type SnapshotMsg loadgen.Snapshot

// DoneMsg says the feed has ended: the engine closed its snapshot channel
// (Err nil), or Run's context ended (Err is the context's error).
type DoneMsg struct{ Err error }

// WaitForSnapshot is a Cmd that waits for one snapshot from ch and returns
// it as a SnapshotMsg, or DoneMsg once ch is closed. The model re-arms it
// after every SnapshotMsg.
func WaitForSnapshot(ch <-chan loadgen.Snapshot) tea.Cmd {
	return waitForSnapshot(ch, nil)
}

// waitForSnapshot is WaitForSnapshot that also gives up, with no message,
// when stop closes: Bubble Tea cannot cancel a running Cmd, so without stop
// the goroutine running it would outlive a program that quit early.
func waitForSnapshot(ch <-chan loadgen.Snapshot, stop <-chan struct{}) tea.Cmd {
	return func() tea.Msg {
		select {
		case s, ok := <-ch:
			if !ok {
				return DoneMsg{}
			}
			return SnapshotMsg(s)
		case <-stop:
			return nil
		}
	}
}

// Model is the bench view. It is a value: Update returns a new one.
type Model struct {
	opts Options
	ch   <-chan loadgen.Snapshot
	stop <-chan struct{}
	st   styles

	width, height int

	snap loadgen.Snapshot
	have bool // a snapshot has arrived

	stopping bool // OnQuit has been called
	aborted  bool // a second ctrl+c: quit without waiting for the engine
	done     bool
	err      error
}

// New returns the model for a run whose snapshots arrive on ch.
func New(opts Options, ch <-chan loadgen.Snapshot) Model {
	if opts.Title == "" {
		opts.Title = "galaxyctl bench"
	}
	return Model{opts: opts, ch: ch, st: newStyles(opts.Color)}
}

// Init starts the snapshot feed.
func (m Model) Init() tea.Cmd {
	return m.wait()
}

func (m Model) wait() tea.Cmd {
	if m.ch == nil {
		return nil
	}
	return waitForSnapshot(m.ch, m.stop)
}

// Update applies one message. It does no I/O: the feed and OnQuit run in
// the Cmds it returns.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		return m, nil
	case SnapshotMsg:
		m.snap = loadgen.Snapshot(msg)
		m.have = true
		return m, m.wait()
	case DoneMsg:
		m.done = true
		m.err = msg.Err
		return m, tea.Quit
	case tea.KeyPressMsg:
		return m.key(msg.String())
	}
	return m, nil
}

// key handles q and ctrl+c: the first asks the engine to stop and waits
// for it to close the feed, so the screen shows the run to its end; a
// second ctrl+c gives up waiting.
func (m Model) key(k string) (tea.Model, tea.Cmd) {
	if k != "q" && k != "ctrl+c" {
		return m, nil
	}
	if !m.stopping {
		m.stopping = true
		return m, onQuit(m.opts.OnQuit)
	}
	if k == "ctrl+c" {
		m.aborted = true
		return m, tea.Quit
	}
	return m, nil
}

func onQuit(f func()) tea.Cmd {
	if f == nil {
		return nil
	}
	return func() tea.Msg {
		f()
		return nil
	}
}

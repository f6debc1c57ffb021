package tui

import (
	"errors"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"galaxy/galaxyctl/internal/loadgen"
)

var (
	keyQ     = tea.KeyPressMsg{Code: 'q', Text: "q"}
	keyCtrlC = tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
)

func TestKeyStrings(t *testing.T) {
	// The model matches keys by their String form; pin it for both keys.
	for _, c := range []struct {
		key  tea.KeyPressMsg
		want string
	}{{keyQ, "q"}, {keyCtrlC, "ctrl+c"}} {
		if got := c.key.String(); got != c.want {
			t.Errorf("KeyPressMsg(%+v).String() = %q, want %q", c.key, got, c.want)
		}
	}
}

func TestSnapshotMsgUpdatesStateAndRearms(t *testing.T) {
	ch := make(chan loadgen.Snapshot, 1)
	m := New(testOptions(), ch)
	s := fullSnapshot()

	next, cmd := m.Update(SnapshotMsg(s))
	got := next.(Model)
	if !got.have || got.snap.Connected != 9_800 || got.snap.Report != s.Report {
		t.Errorf("Update(SnapshotMsg) state = have %v, connected %d, report %p; want true, 9800, %p",
			got.have, got.snap.Connected, got.snap.Report, s.Report)
	}
	if cmd == nil {
		t.Fatal("Update(SnapshotMsg) cmd = nil, want the feed re-armed")
	}
	s2 := s
	s2.Connected = 9_999
	ch <- s2
	msg, ok := cmd().(SnapshotMsg)
	if !ok || msg.Connected != 9_999 {
		t.Errorf("re-armed cmd() = %#v, want SnapshotMsg with Connected 9999", msg)
	}
}

func TestRampRateShown(t *testing.T) {
	m := sized(fed(New(testOptions(), nil), fullSnapshot()), 100, 30)
	if line := lineWith(m.View().Content, "ramp"); !strings.Contains(line, "812.5/s") {
		t.Errorf("ramp line = %q, want the engine's rate 812.5/s", line)
	}
}

func TestWaitForSnapshot(t *testing.T) {
	s := fullSnapshot()
	full := make(chan loadgen.Snapshot, 1)
	full <- s
	closed := make(chan loadgen.Snapshot)
	close(closed)
	for _, c := range []struct {
		name string
		ch   chan loadgen.Snapshot
		want tea.Msg
	}{
		{"value", full, SnapshotMsg(s)},
		{"closed", closed, DoneMsg{}},
	} {
		got := WaitForSnapshot(c.ch)()
		switch want := c.want.(type) {
		case SnapshotMsg:
			if g, ok := got.(SnapshotMsg); !ok || g.Heartbeats != want.Heartbeats {
				t.Errorf("WaitForSnapshot(%s)() = %T, want SnapshotMsg with %d heartbeats", c.name, got, want.Heartbeats)
			}
		case DoneMsg:
			if g, ok := got.(DoneMsg); !ok || g.Err != nil {
				t.Errorf("WaitForSnapshot(%s)() = %#v, want DoneMsg{}", c.name, got)
			}
		}
	}
}

func TestWaitForSnapshotStops(t *testing.T) {
	stop := make(chan struct{})
	close(stop)
	got := waitForSnapshot(make(chan loadgen.Snapshot), stop)()
	if got != nil {
		t.Errorf("waitForSnapshot(open, closed stop)() = %#v, want nil", got)
	}
}

func TestQuitKeys(t *testing.T) {
	for _, first := range []tea.KeyPressMsg{keyQ, keyCtrlC} {
		t.Run(first.String(), func(t *testing.T) {
			calls := 0
			o := testOptions()
			o.OnQuit = func() { calls++ }
			m := New(o, nil)

			next, cmd := m.Update(first)
			m = next.(Model)
			if cmd == nil {
				t.Fatalf("Update(%s) cmd = nil, want one calling OnQuit", first)
			}
			if msg := cmd(); msg != nil {
				t.Errorf("OnQuit cmd() = %#v, want nil", msg)
			}
			if calls != 1 || !m.stopping {
				t.Errorf("after %s: OnQuit calls = %d, stopping = %v; want 1, true", first, calls, m.stopping)
			}
			if v := m.View().Content; !strings.Contains(v, "stopping… (final report follows)") {
				t.Errorf("View() after %s = %q, want it to say stopping… (final report follows)", first, v)
			}

			next, cmd = m.Update(keyQ)
			m = next.(Model)
			if cmd != nil || calls != 1 {
				t.Errorf("Update(q) while stopping: cmd nil = %v, OnQuit calls = %d; want true, 1", cmd == nil, calls)
			}

			next, cmd = m.Update(keyCtrlC)
			m = next.(Model)
			if cmd == nil {
				t.Fatal("Update(ctrl+c) while stopping cmd = nil, want tea.Quit")
			}
			if _, ok := cmd().(tea.QuitMsg); !ok || calls != 1 || !m.aborted {
				t.Errorf("second ctrl+c: quit = %v, OnQuit calls = %d, aborted = %v; want true, 1, true", ok, calls, m.aborted)
			}
		})
	}
}

func TestQuitWithoutOnQuit(t *testing.T) {
	next, cmd := New(testOptions(), nil).Update(keyQ)
	if cmd != nil || !next.(Model).stopping {
		t.Errorf("Update(q) without OnQuit: cmd nil = %v, stopping = %v; want true, true", cmd == nil, next.(Model).stopping)
	}
}

func TestOtherKeysIgnored(t *testing.T) {
	calls := 0
	o := testOptions()
	o.OnQuit = func() { calls++ }
	next, cmd := New(o, nil).Update(tea.KeyPressMsg{Code: 'x', Text: "x"})
	if cmd != nil || next.(Model).stopping || calls != 0 {
		t.Errorf("Update(x): cmd nil = %v, stopping = %v, calls = %d; want true, false, 0", cmd == nil, next.(Model).stopping, calls)
	}
}

func TestDoneMsgQuits(t *testing.T) {
	errCtx := errors.New("context canceled")
	for _, c := range []struct {
		name   string
		err    error
		footer string
	}{
		{"closed", nil, "run over (final report follows)"},
		{"ctx", errCtx, "stopped: context canceled"},
	} {
		next, cmd := New(testOptions(), nil).Update(DoneMsg{Err: c.err})
		m := next.(Model)
		if cmd == nil {
			t.Fatalf("Update(DoneMsg %s) cmd = nil, want tea.Quit", c.name)
		}
		if _, ok := cmd().(tea.QuitMsg); !ok {
			t.Errorf("Update(DoneMsg %s) cmd() is not tea.QuitMsg", c.name)
		}
		if !m.done || !errors.Is(m.err, c.err) {
			t.Errorf("Update(DoneMsg %s): done = %v, err = %v; want true, %v", c.name, m.done, m.err, c.err)
		}
		if v := m.View().Content; !strings.Contains(v, c.footer) {
			t.Errorf("View() after DoneMsg %s = %q, want %q", c.name, v, c.footer)
		}
	}
}

func TestWindowSizeChangesLayout(t *testing.T) {
	base := fed(New(testOptions(), nil), fullSnapshot())
	for _, c := range []struct {
		w, h int
		diff bool // the layer table's diff column
		// besideGaps: the gap histogram starts on the layer table's
		// header line (two or more columns).
		besideGaps bool
		bars       int // histogram bars shown
	}{
		{60, 40, false, false, 2},
		{80, 24, false, true, 1},
		{100, 30, true, true, 3},
		{140, 30, true, true, 3},
	} {
		m := sized(base, c.w, c.h)
		if m.width != c.w || m.height != c.h {
			t.Errorf("Update(WindowSizeMsg{%d, %d}) size = %dx%d", c.w, c.h, m.width, m.height)
		}
		v := m.View().Content
		head := lineWith(v, "bytes/heartbeat")
		if got := strings.Contains(head, "diff"); got != c.diff {
			t.Errorf("View() at %dx%d: diff column = %v, want %v", c.w, c.h, got, c.diff)
		}
		if got := strings.Contains(head, "heartbeat gaps"); got != c.besideGaps {
			t.Errorf("View() at %dx%d: gaps beside layers = %v, want %v", c.w, c.h, got, c.besideGaps)
		}
		if got := strings.Count(v, "≤"); got != c.bars {
			t.Errorf("View() at %dx%d: histogram bars = %d, want %d", c.w, c.h, got, c.bars)
		}
	}
}

func TestInitWithoutChannel(t *testing.T) {
	if cmd := New(testOptions(), nil).Init(); cmd != nil {
		t.Errorf("New(opts, nil).Init() = non-nil, want nil (nothing to wait for)")
	}
	if cmd := New(testOptions(), make(chan loadgen.Snapshot)).Init(); cmd == nil {
		t.Errorf("New(opts, ch).Init() = nil, want the snapshot feed")
	}
}

func TestTitleDefault(t *testing.T) {
	if got := New(Options{}, nil).opts.Title; got != "galaxyctl bench" {
		t.Errorf("New(Options{}).opts.Title = %q, want galaxyctl bench", got)
	}
}

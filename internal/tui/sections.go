package tui

import (
	"cmp"
	"maps"
	"math"
	"slices"
	"strings"

	"galaxy/galaxyctl/internal/loadgen"
	"galaxy/galaxyctl/internal/units"
)

const labelW = 9 // "clients  ", "traffic  ", "errors   "

// header is the title line: what is measured on the left, where the run
// is on the right. The left side sheds detail before it is cut.
func (m Model) header(w int) string {
	st, o, c := m.st, m.opts, m.snap.Config
	transport := "h2c"
	if c.TLS {
		transport = "TLS"
	}
	if c.HTTP == "1.1" {
		transport = "HTTP/1.1"
		if c.TLS {
			transport += "+TLS"
		}
	}
	if c.Protocol != "" && c.Protocol != "grpc" {
		transport = c.Protocol + " " + c.Codec + " · " + transport
	}
	join := func(parts ...string) string {
		var out []string
		for _, p := range parts {
			if p != "" {
				out = append(out, p)
			}
		}
		return strings.Join(out, " · ")
	}
	window := ""
	if c.ClientWindow != "" {
		window = "window " + c.ClientWindow
	}
	right := m.phaseStatus() + " · " + units.Clock(m.snap.Elapsed)
	room := max(w-ansiWidth(right)-1, 1)
	left := ""
	for _, c := range []string{
		join(o.Title, o.Target, transport, window),
		join(o.Title, o.Target, transport),
		join(o.Target, transport),
	} {
		left = c
		if ansiWidth(c) <= room {
			break
		}
	}
	left = fit(left, room)
	gap := max(w-ansiWidth(left)-ansiWidth(right), 1)
	return st.title(left) + strings.Repeat(" ", gap) + st.head(right)
}

// phaseStatus is the phase and the time left in it; the ramp has no
// planned length, so its time left is estimated from the rate so far.
func (m Model) phaseStatus() string {
	s := m.snap
	switch {
	case !m.have:
		return "starting"
	case s.Phase == loadgen.PhaseDone:
		return "done"
	case s.Phase == loadgen.PhaseRamp:
		left := s.Target - s.Connected - s.Failed
		if s.RampRate > 0 && left > 0 {
			return "ramp ~" + units.Clock(secondsDur(float64(left)/s.RampRate)) + " left"
		}
		return "ramp"
	case s.PhaseLength > 0:
		return string(s.Phase) + " " + units.Clock(s.PhaseLength-s.PhaseElapsed) + " left"
	}
	return string(s.Phase)
}

// ramp is the progress bar of connected clients against the target.
func (m Model) ramp(w int) string {
	s := m.snap
	frac := 0.0
	if s.Target > 0 {
		frac = math.Min(float64(s.Connected)/float64(s.Target), 1)
	}
	right := " " + units.Count(max(s.Connected, 0)) + "/" + units.Count(max(s.Target, 0))
	if s.RampRate > 0 {
		right += "  " + units.PerSecond(s.RampRate)
	}
	barW := max(w-labelW-ansiWidth(right), 10)
	return m.st.head(pad("ramp", labelW)) + m.st.progressBar(barW, frac) + right
}

// clients are the counters of the simulated clients.
func (m Model) clients(w int) []string {
	s, st := m.snap, m.st
	return flow(st, "clients", labelW, w, []item{
		{"connected", units.Count(s.Connected), nil},
		{"active", units.Count(s.Active), st.good},
		{"ended", units.Count(s.Ended), when(s.Ended > 0, st.warn)},
		{"failed", units.Count(s.Failed), when(s.Failed > 0, st.bad)},
		{"connect failures", units.Count(s.ConnectFailures), when(s.ConnectFailures > 0, st.warn)},
		{"sockets", units.Count(s.Connections), nil},
	})
}

// traffic is the heartbeat and byte rates since the previous snapshot.
func (m Model) traffic(w int) []string {
	s := m.snap
	return flow(m.st, "traffic", labelW, w, []item{
		{"heartbeats", units.Count(s.Heartbeats), nil},
		{"", units.PerSecond(s.HeartbeatsPerSec), nil},
		{"in", units.Rate(s.BytesInPerSec), nil},
		{"out", units.Rate(s.BytesOutPerSec), nil},
	})
}

// when is p if cond holds, else no style: a count is only alarming when
// it is not zero.
func when(cond bool, p paint) paint {
	if cond {
		return p
	}
	return plain
}

// errorLines are connect and stream errors by gRPC code, the most
// frequent first.
func (m Model) errorLines(w int) []string {
	st := m.st
	var items []item
	add := func(kind string, errs map[string]uint64) {
		codes := slices.Collect(maps.Keys(errs))
		slices.SortFunc(codes, func(a, b string) int {
			return cmp.Or(cmp.Compare(errs[b], errs[a]), cmp.Compare(a, b))
		})
		for _, c := range codes {
			items = append(items, item{kind + " " + c, units.Count(errs[c]), st.bad})
		}
	}
	add("connect", m.snap.ConnectErrors)
	add("stream", m.snap.StreamErrors)
	if len(items) == 0 {
		items = []item{{"", "none", st.good}}
	}
	return flow(st, "errors", labelW, w, items)
}

// footer says what q does, or that the run is stopping.
func (m Model) footer() string {
	st := m.st
	switch {
	case m.aborted:
		return st.warn("quitting without waiting for the run to stop")
	case m.done && m.err != nil:
		return st.warn("stopped: " + m.err.Error())
	case m.done:
		return st.label("run over (final report follows)")
	case m.stopping:
		return st.warn("stopping… (final report follows)") + st.label("  ctrl+c again: quit now")
	}
	return st.label("q stop the run")
}

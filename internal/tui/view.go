package tui

import (
	"strings"

	tea "charm.land/bubbletea/v2"
)

// The size assumed before the first WindowSizeMsg, and the widths at which
// the layout spreads out.
const (
	defaultWidth  = 80
	defaultHeight = 24
	twoColumns    = 76  // layer table beside the rest
	diffColumn    = 100 // the layer table gains a diff column
	threeColumns  = 130 // gaps, then memory and projection, beside the layers
)

// View renders the screen at the last window size.
func (m Model) View() tea.View {
	return tea.NewView(m.render())
}

func (m Model) size() (int, int) {
	w, h := m.width, m.height
	if w <= 0 {
		w = defaultWidth
	}
	if h <= 0 {
		h = defaultHeight
	}
	return w, h
}

// render lays the sections out for the window: the top lines across the
// whole width, then the tables in one to three columns, then errors and
// the footer. When the height is short it drops histogram bars first,
// then the blank lines between sections, then the tables' last lines, and
// on a tiny screen whatever still overflows above the footer.
func (m Model) render() string {
	w, h := m.size()
	top := []string{m.header(w), m.ramp(w)}
	top = append(top, m.clients(w)...)
	top = append(top, m.traffic(w)...)
	bottom := append(m.errorLines(w), m.footer())

	cols := 1
	switch {
	case w >= threeColumns:
		cols = 3
	case w >= twoColumns:
		cols = 2
	}
	layers := m.layers(w >= diffColumn)
	restW := w
	if cols > 1 {
		restW = w - layers.width - len(colGap)
	}
	gapsW, thirdW := restW, restW
	if cols == 3 {
		thirdW = restW / 2
		gapsW = restW - thirdW - len(colGap)
	}
	gapHead := m.gapHead(gapsW)
	mem := m.memory(thirdW)
	proj := m.projection()

	// height is the screen's height with k histogram bars.
	height := func(k int, spaced bool) int {
		gaps := len(gapHead) + k
		var middle int
		switch cols {
		case 3:
			middle = max(len(layers.lines), gaps, stackHeight(spaced, len(mem), len(proj)))
		case 2:
			middle = max(len(layers.lines), stackHeight(spaced, gaps, len(mem), len(proj)))
		default:
			middle = stackHeight(spaced, len(layers.lines), gaps, len(mem), len(proj))
		}
		return stackHeight(spaced, len(top), middle, len(bottom))
	}
	nBars := len(m.snap.Gaps.Buckets)
	k, spaced := 0, false
	for _, sp := range []bool{true, false} {
		k = nBars
		for k > 0 && height(k, sp) > h {
			k--
		}
		if height(k, sp) <= h {
			spaced = sp
			break
		}
	}

	gaps := newBlock(gapsW, append(gapHead, m.gapBars(gapsW, k)...)...)
	memB, projB := newBlock(thirdW, mem...), newBlock(thirdW, proj...)
	var middle []string
	switch cols {
	case 3:
		middle = beside(layers, gaps, stack(thirdW, spaced, memB, projB))
	case 2:
		middle = beside(layers, stack(gapsW, spaced, gaps, memB, projB))
	default:
		middle = stack(w, spaced, layers, gaps, memB, projB).lines
	}

	if room := h - len(top) - len(bottom); !spaced && len(middle) > room && room >= 0 {
		// Still too tall: cut the tables' tails rather than the errors.
		middle = middle[:room]
	}
	lines := make([]string, 0, h)
	lines = append(lines, top...)
	if spaced {
		lines = append(lines, "")
	}
	lines = append(lines, middle...)
	if spaced {
		lines = append(lines, "")
	}
	lines = append(lines, bottom...)
	if len(lines) > h {
		// Keep the footer: it says how to stop, or that the run is stopping.
		lines = append(lines[:max(h-1, 0)], lines[len(lines)-1])
	}
	var sb strings.Builder
	for i, l := range lines {
		if i > 0 {
			sb.WriteByte('\n')
		}
		sb.WriteString(fit(l, w))
	}
	return sb.String()
}

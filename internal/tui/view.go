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
	middle, spaced := m.middle(w, h-len(top)-len(bottom))

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

// middle lays the tables out in w columns and room lines (room counts the
// blank lines around the middle when spaced): as many histogram bars as
// fit, spaced when that fits too.
func (m Model) middle(w, room int) (lines []string, spaced bool) {
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

	// height is the middle's height with k histogram bars, and the blank
	// lines around it when spaced.
	height := func(k int, spaced bool) int {
		gaps := len(gapHead) + k
		var n int
		switch cols {
		case 3:
			n = max(len(layers.lines), gaps, stackHeight(spaced, len(mem), len(proj)))
		case 2:
			n = max(len(layers.lines), stackHeight(spaced, gaps, len(mem), len(proj)))
		default:
			n = stackHeight(spaced, len(layers.lines), gaps, len(mem), len(proj))
		}
		if spaced {
			n += 2
		}
		return n
	}
	k := 0
	for _, sp := range []bool{true, false} {
		k = len(m.gapBuckets())
		for k > 0 && height(k, sp) > room {
			k--
		}
		if height(k, sp) <= room {
			spaced = sp
			break
		}
	}

	gaps := newBlock(gapsW, append(gapHead, m.gapBars(gapsW, k)...)...)
	memB, projB := newBlock(thirdW, mem...), newBlock(thirdW, proj...)
	switch cols {
	case 3:
		lines = beside(layers, gaps, stack(thirdW, spaced, memB, projB))
	case 2:
		lines = beside(layers, stack(gapsW, spaced, gaps, memB, projB))
	default:
		lines = stack(w, spaced, layers, gaps, memB, projB).lines
	}
	if !spaced && len(lines) > room && room >= 0 {
		// Still too tall: cut the tables' tails rather than the errors.
		lines = lines[:room]
	}
	return lines, spaced
}

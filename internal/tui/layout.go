package tui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// block is a column of rendered lines and the width they are padded to
// when another column follows.
type block struct {
	lines []string
	width int
}

func newBlock(width int, lines ...string) block { return block{lines: lines, width: width} }

// stack puts blocks under each other, with a blank line between them when
// spaced.
func stack(width int, spaced bool, bs ...block) block {
	out := block{width: width}
	for i, b := range bs {
		if i > 0 && spaced {
			out.lines = append(out.lines, "")
		}
		out.lines = append(out.lines, b.lines...)
	}
	return out
}

// stackHeight is len(stack(...).lines) without building it.
func stackHeight(spaced bool, heights ...int) int {
	n := 0
	for i, h := range heights {
		n += h
		if i > 0 && spaced {
			n++
		}
	}
	return n
}

const colGap = "   "

// beside sets blocks side by side, each padded to its width.
func beside(bs ...block) []string {
	rows := 0
	for _, b := range bs {
		rows = max(rows, len(b.lines))
	}
	out := make([]string, rows)
	var sb strings.Builder
	for r := range rows {
		sb.Reset()
		for i, b := range bs {
			var line string
			if r < len(b.lines) {
				line = b.lines[r]
			}
			if i == len(bs)-1 {
				sb.WriteString(line)
				break
			}
			sb.WriteString(pad(line, b.width))
			sb.WriteString(colGap)
		}
		out[r] = strings.TrimRight(sb.String(), " ")
	}
	return out
}

// pad fills s with spaces to w cells.
func pad(s string, w int) string {
	if n := w - ansi.StringWidth(s); n > 0 {
		return s + strings.Repeat(" ", n)
	}
	return s
}

// padLeft right-aligns s in w cells.
func padLeft(s string, w int) string {
	if n := w - ansi.StringWidth(s); n > 0 {
		return strings.Repeat(" ", n) + s
	}
	return s
}

func ansiWidth(s string) int { return ansi.StringWidth(s) }

// fit cuts s to w cells, escape codes kept intact.
func fit(s string, w int) string {
	if ansi.StringWidth(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, "…")
}

// item is one "key value" pair of a flowing line.
type item struct {
	key, val string
	p        paint // the value's style
}

// flow lays items out after a label, wrapping to further lines indented
// under the first item when the width runs out.
func flow(st styles, label string, labelW, width int, items []item) []string {
	var lines []string
	var sb strings.Builder
	used := 0
	start := func(first bool) {
		sb.Reset()
		switch {
		case labelW == 0:
		case first:
			sb.WriteString(st.head(pad(label, labelW)))
		default:
			sb.WriteString(strings.Repeat(" ", labelW))
		}
		used = labelW
	}
	start(true)
	n := 0 // items on the current line
	for _, it := range items {
		w := ansi.StringWidth(it.val)
		if it.key != "" {
			w += ansi.StringWidth(it.key) + 1
		}
		if n > 0 && used+2+w > width {
			lines = append(lines, sb.String())
			start(false)
			n = 0
		}
		if n > 0 {
			sb.WriteString("  ")
			used += 2
		}
		if it.key != "" {
			sb.WriteString(st.label(it.key))
			sb.WriteByte(' ')
		}
		p := it.p
		if p == nil {
			p = plain
		}
		sb.WriteString(p(it.val))
		used += w
		n++
	}
	return append(lines, sb.String())
}

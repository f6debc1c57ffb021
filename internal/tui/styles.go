package tui

import (
	"charm.land/bubbles/v2/progress"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// paint styles one already padded cell; padding first keeps the columns
// aligned whatever escape codes the style adds.
type paint func(string) string

// styles are the few looks of the screen. Without colour every one is the
// identity, so the output holds no escape code at all.
type styles struct {
	title, head, label, good, warn, bad paint
	bar                                 progress.Model
	color                               bool
}

func plain(s string) string { return s }

func newStyles(color bool) styles {
	if !color {
		return styles{
			title: plain, head: plain, label: plain, good: plain, warn: plain, bad: plain,
			bar: progress.New(progress.WithFillCharacters('█', '░')),
		}
	}
	with := func(s lipgloss.Style) paint { return func(t string) string { return s.Render(t) } }
	return styles{
		title: with(lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("63"))),
		head:  with(lipgloss.NewStyle().Bold(true)),
		label: with(lipgloss.NewStyle().Foreground(lipgloss.Color("245"))),
		good:  with(lipgloss.NewStyle().Foreground(lipgloss.Color("42"))),
		warn:  with(lipgloss.NewStyle().Foreground(lipgloss.Color("214"))),
		bad:   with(lipgloss.NewStyle().Foreground(lipgloss.Color("203"))),
		// A solid fill: a blend styles every cell apart, which doubles the
		// cost of a frame for a little gradient.
		bar:   progress.New(progress.WithColors(lipgloss.Color("63")), progress.WithFillCharacters('█', '░')),
		color: true,
	}
}

// progressBar renders the ramp bar at a fixed fraction: ViewAs, not the
// animated View, because an animation would need frame ticks in Update.
func (s styles) progressBar(width int, frac float64) string {
	b := s.bar
	b.SetWidth(width)
	out := b.ViewAs(frac)
	if !s.color {
		// The bar styles its cells whatever its colours; strip them.
		out = ansi.Strip(out)
	}
	return out
}

package htmlreport

import (
	"math"
	"strconv"
	"strings"
)

// px is a coordinate, printed with one decimal: enough for a screen, and
// short in the file.
type px float64

func (p px) String() string { return strconv.FormatFloat(float64(p), 'f', 1, 64) }

// chart is one SVG drawn from primitives computed in Go; the template
// writes them, escaping every text. Nothing in it runs or loads.
type chart struct {
	ID    string
	Title string // the chart's accessible name
	W, H  px
	// Back is drawn first (phase shading), then the grid and axes, then
	// the marks, then the text.
	Back  []rect
	Grid  []line
	Rects []rect
	Lines []line
	Paths []path
	Texts []text
}

type rect struct {
	X, Y, W, H px
	Class      string
	Fill       string // a colour from the palette, never user text
	Tip        string // tooltip: a <title> inside the rect
}

type line struct {
	X1, Y1, X2, Y2 px
	Class          string
}

type path struct {
	D      string
	Class  string
	Stroke string
}

type text struct {
	X, Y   px
	Anchor string // start, middle or end
	Class  string
	S      string
}

func (c *chart) rect(x, y, w, h float64, class, fill, tip string) {
	c.Rects = append(c.Rects, rect{px(x), px(y), px(math.Max(w, 0)), px(math.Max(h, 0)), class, fill, tip})
}

func (c *chart) line(x1, y1, x2, y2 float64, class string) {
	l := line{px(x1), px(y1), px(x2), px(y2), class}
	if class == "grid" {
		c.Grid = append(c.Grid, l)
		return
	}
	c.Lines = append(c.Lines, l)
}

func (c *chart) text(x, y float64, anchor, class, s string) {
	c.Texts = append(c.Texts, text{px(x), px(y), anchor, class, s})
}

// linear maps [lo, hi] onto [a, b].
type linear struct{ lo, hi, a, b float64 }

func (s linear) at(v float64) float64 {
	if s.hi == s.lo {
		return s.a
	}
	return s.a + (v-s.lo)/(s.hi-s.lo)*(s.b-s.a)
}

// niceTicks returns about n round tick values from 0 to at least hi: 1,
// 2, 2.5 or 5 times a power of ten apart.
func niceTicks(hi float64, n int) []float64 {
	if !(hi > 0) || math.IsInf(hi, 0) {
		hi = 1
	}
	raw := hi / float64(max(n, 1))
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var ticks []float64
	for v := 0.0; v < hi+step*0.999; v += step {
		ticks = append(ticks, math.Round(v/step)*step)
	}
	return ticks
}

// polyline writes points as a path, breaking it where a value is
// missing (NaN).
func polyline(xs, ys []float64) string {
	var b strings.Builder
	pen := false
	for i := range xs {
		if math.IsNaN(ys[i]) || math.IsNaN(xs[i]) {
			pen = false
			continue
		}
		if pen {
			b.WriteString("L")
		} else {
			if b.Len() > 0 {
				b.WriteString(" ")
			}
			b.WriteString("M")
		}
		b.WriteString(px(xs[i]).String() + "," + px(ys[i]).String())
		pen = true
	}
	return b.String()
}

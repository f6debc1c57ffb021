package tui

import (
	"fmt"
	"testing"
)

// BenchmarkView renders a full snapshot, as the program does after every
// snapshot (4 Hz). The snapshot is aggregated over every client, so its
// size, and this cost, do not grow with the number of clients.
func BenchmarkView(b *testing.B) {
	s := withBuckets(withTLS(fullSnapshot()), manyBuckets())
	for _, c := range []struct {
		w, h  int
		color bool
	}{
		{80, 24, false}, {80, 24, true}, {160, 50, true},
	} {
		o := testOptions()
		o.Color = c.color
		m := sized(fed(New(o, nil), s), c.w, c.h)
		b.Run(fmt.Sprintf("%dx%d/color=%v", c.w, c.h, c.color), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = m.View()
			}
		})
	}
}

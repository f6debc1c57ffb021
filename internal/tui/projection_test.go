package tui

import (
	"math"
	"testing"
	"time"

	"galaxy/galaxyctl/internal/loadgen"
)

func TestProject(t *testing.T) {
	p := project(85, 15*time.Second, []int{10_000, 100_000, 1_000_000})
	if p.perClientDay != 489_600 {
		t.Errorf("project(85, 15s).perClientDay = %v, want 489600", p.perClientDay)
	}
	want := []scaleRow{
		{10_000, 4.896e9, 0.45333},
		{100_000, 4.896e10, 4.5333},
		{1_000_000, 4.896e11, 45.333},
	}
	if len(p.scales) != len(want) {
		t.Fatalf("project(85, 15s).scales = %d rows, want %d", len(p.scales), len(want))
	}
	for i, w := range want {
		g := p.scales[i]
		if g.clients != w.clients || math.Abs(g.bytesPerDay-w.bytesPerDay) > 1 || math.Abs(g.mbitPerS-w.mbitPerS) > 1e-4*w.mbitPerS {
			t.Errorf("project(85, 15s).scales[%d] = %+v, want %+v", i, g, w)
		}
	}
	if p := project(85, 0, []int{1}); p.perClientDay != 0 || len(p.scales) != 0 {
		t.Errorf("project(85, 0) = %+v, want nothing projected", p)
	}
}

func TestIPPerHeartbeat(t *testing.T) {
	for _, c := range []struct {
		name string
		l    loadgen.LiveLayers
		want float64
	}{
		{"h2c model", loadgen.LiveLayers{SocketIn: 33}, 85},
		{"TLS model", loadgen.LiveLayers{SocketIn: 55}, 107},
		{"client replies", loadgen.LiveLayers{SocketIn: 33, SocketOut: 13}, 98},
	} {
		if got := ipPerHeartbeat(c.l); got != c.want {
			t.Errorf("ipPerHeartbeat(%s) = %v, want %v", c.name, got, c.want)
		}
	}
}

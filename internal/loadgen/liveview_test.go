package loadgen_test

import (
	"context"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"galaxy/galaxyctl/internal/loadgen"
	"galaxy/galaxyctl/internal/tui"
)

// units are the multipliers of the units the live view prints.
var unitScale = map[string]float64{
	"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
	"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30,
}

// figure finds re's first match in view and returns its number (group 1)
// times its unit (group 2, if any).
func figure(t *testing.T, view, re string) float64 {
	t.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(view)
	if m == nil {
		t.Fatalf("last frame has no %s:\n%s", re, view)
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(m[1], ",", ""), 64)
	if err != nil {
		t.Fatalf("last frame %s: %q: %v", re, m[1], err)
	}
	if len(m) > 2 {
		f *= unitScale[m[2]]
	}
	return f
}

// TestLiveViewLastFrameIsTheReport runs the engine against a stub gateway,
// feeds every snapshot to the live view as bench does, and reads the last
// frame: its figures are the report's, within 1 % (the rounding of the
// screen). Before the view took the report's figures, it showed an
// estimate of 85 IP bytes per heartbeat against the report's measured
// 137, and the ramp rate of its last ramp snapshot.
func TestLiveViewLastFrameIsTheReport(t *testing.T) {
	addr := loadgen.StartStub(t, 50*time.Millisecond)
	var mu sync.Mutex
	var all []loadgen.Snapshot
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rep, err := loadgen.Run(ctx, loadgen.Config{
		Addr: addr, Clients: 20, RampRate: 200, Warmup: 225 * time.Millisecond, Duration: 690 * time.Millisecond,
		ExpectedInterval: 50 * time.Millisecond, ServerMetricsURL: loadgen.FakeMetrics(t),
		SnapshotEvery: 20 * time.Millisecond, LiveEvery: 100 * time.Millisecond,
		OnSnapshot: func(s loadgen.Snapshot) { mu.Lock(); all = append(all, s); mu.Unlock() },
	})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	snaps := all
	mu.Unlock()
	var m tea.Model = tui.New(tui.Options{Target: addr}, nil)
	for _, s := range snaps {
		m, _ = m.Update(tui.SnapshotMsg(s))
	}
	m, _ = m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	view := m.(tui.Model).View().Content

	for _, c := range []struct {
		name string
		re   string
		want float64
	}{
		{"IP bytes per heartbeat", `projection @\S+\s+([\d.]+) IP B/hb`, float64(rep.Projection.IPBytesPerHeartbeat)},
		{"bytes per client per day", `per client\s+([\d.]+) (\w+)/day`, float64(rep.Projection.BytesPerClientDay)},
		{"bytes per day at 10,000", `(?m)10,000\s+([\d.]+) (\w+)/day`, float64(rep.Projection.Scales[0].BytesPerDay)},
		{"IP total", `IP total\s+([\d.]+)`, float64(rep.Bytes.IPPerHeartbeat)},
		{"segments", `(?m)^segments\s+([\d.]+)`, float64(rep.Segments.PerHeartbeat)},
		{"ramp rate", `(?m)^ramp .* ([\d,.]+)/s`, rep.Clients.RampRateAchieved},
		{"bench per stream", `bench\s+per stream (-?[\d.]+) (\w+)`, rep.Memory.ClientBytesPerStream},
		{"server per stream", `server\s+per stream (-?[\d.]+) (\w+)`, rep.Memory.ServerBytesPerStream},
	} {
		if got := figure(t, view, c.re); math.Abs(got-c.want) > 0.01*math.Abs(c.want) {
			t.Errorf("last frame %s = %v, report %v: want within 1 %%\n%s", c.name, got, c.want, view)
		}
	}
	if strings.Contains(view, "est.") {
		t.Errorf("last frame shows an estimate:\n%s", view)
	}
}

package loadgen

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"

	"galaxy/galaxyctl/internal/clock"
	"galaxy/galaxyctl/internal/loadgen/probe"
	"galaxy/galaxyctl/internal/loadgen/report"
)

// Parity tolerances of issue 12: the lean engine's grpc-go profiles cost
// what the real grpc-go client costs on the wire.
const (
	parityBytes    = 1.0
	paritySegments = 0.05
)

// TestEngineParity runs the lean engine and the real grpc-go client at
// the same time against one grpc-go gateway, for each window and with and
// without TLS, and compares their IP bytes and segments per heartbeat.
//
// The experiment is built so that nothing is in flight at the window's
// edges: the gateway sends every stream's heartbeat in one burst per
// interval, on a schedule both runs share, and the runs' clock ends their
// warm-up and their window half an interval after a burst, when every
// heartbeat's exchange (the client's replies, the server's PING ack, the
// delayed ACKs of 40 ms) is long over. Both runs then count the same whole
// exchanges and the comparison is exact, not a matter of where the edges
// fell. Running both at once puts them under the same load.
func TestEngineParity(t *testing.T) {
	if !probe.TCPInfoSupported {
		t.Skip("segments come from TCP_INFO, read on Linux only")
	}
	for _, tc := range []struct {
		name    string
		tls     bool
		profile string
	}{
		{"h2c/dynamic", false, ProfileGRPCGo},
		{"h2c/static", false, ProfileGRPCGoStatic},
		{"tls/dynamic", true, ProfileGRPCGo},
		{"tls/static", true, ProfileGRPCGoStatic},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const interval = 600 * time.Millisecond // > burstQuiet
			sched := burstSchedule{epoch: time.Now(), interval: interval}
			var opts []grpc.ServerOption
			cfg := Config{Clients: 100, Warmup: 2 * interval, Duration: 10 * interval,
				ExpectedInterval: interval, Profile: tc.profile, Clock: phaseClock{sched}}
			if tc.tls {
				var opt grpc.ServerOption
				opt, cfg.TLS = testTLS(t)
				opts = append(opts, opt)
			}
			cfg.Addr, _ = serveStub(t, &stubGateway{interval: interval, burst: &sched}, opts...)
			parity(t, cfg)
		})
	}
}

// parity runs experiments until one both ran as designed and shows the
// engines within the tolerances, parityAttempts at most. On a machine
// whose cores are shared, one engine's reader may be scheduled late in an
// experiment and its kernel then acks separately what it would have acked
// with a reply: the wire differs for reasons that are not the engines'.
// A real difference between them shows in every experiment, and fails.
func parity(t *testing.T, cfg Config) {
	t.Helper()
	var tries []string
	for attempt := 1; attempt <= parityAttempts; attempt++ {
		reps, why := runBoth(t, cfg), ""
		for _, eng := range []string{EngineLean, EngineGRPCGo} {
			checkClean(t, eng, reps[eng], cfg.Clients)
			why += designed(eng, reps[eng], cfg)
		}
		if t.Failed() {
			return
		}
		if why != "" {
			tries = append(tries, fmt.Sprintf("attempt %d did not run as designed:%s", attempt, why))
			continue
		}
		lean, grpcgo := reps[EngineLean], reps[EngineGRPCGo]
		db := float64(lean.Bytes.IPPerHeartbeat - grpcgo.Bytes.IPPerHeartbeat)
		ds := float64(lean.Segments.PerHeartbeat - grpcgo.Segments.PerHeartbeat)
		figures := fmt.Sprintf("IP bytes per heartbeat: lean %.3f, grpc-go %.3f; segments: lean %.4f, grpc-go %.4f (%d and %d heartbeats)",
			lean.Bytes.IPPerHeartbeat, grpcgo.Bytes.IPPerHeartbeat, lean.Segments.PerHeartbeat, grpcgo.Segments.PerHeartbeat,
			lean.Heartbeats.OnWire, grpcgo.Heartbeats.OnWire)
		if math.Abs(db) <= parityBytes && math.Abs(ds) <= paritySegments {
			for _, tr := range tries {
				t.Log(tr)
			}
			t.Logf("attempt %d: %s", attempt, figures)
			return
		}
		tries = append(tries, fmt.Sprintf("attempt %d: lean - grpc-go = %+.3f IP bytes, %+.4f segments per heartbeat, want within %.0f and %.2f; %s",
			attempt, db, ds, parityBytes, paritySegments, figures))
	}
	t.Errorf("no experiment of %d showed the engines at parity:\n%s", parityAttempts, strings.Join(tries, "\n"))
}

// burstSchedule is when the parity gateway sends: every interval from
// epoch, in burstSlots slots of burstSlot each (by the user's number, so
// each slot holds as many streams of either run and the gateway answers
// their PINGs before its kernel's delayed ACK would), and nothing in the
// last part of the interval.
type burstSchedule struct {
	epoch    time.Time
	interval time.Duration
}

const (
	burstSlots = 10
	burstSlot  = 30 * time.Millisecond
	// burstQuiet is where in the interval the runs' phases change: after
	// the last slot's exchanges (and their 40 ms delayed ACKs).
	burstQuiet = burstSlots*burstSlot + 150*time.Millisecond
)

// next is user's first heartbeat after t.
func (s burstSchedule) next(t time.Time, user string) time.Time {
	var i int
	fmt.Sscanf(user, defaultUserIDPrefix+"%d", &i)
	off := time.Duration(i%burstSlots) * burstSlot
	n := (t.Sub(s.epoch)-off)/s.interval + 1
	return s.epoch.Add(n*s.interval + off)
}

// phaseClock is the real clock, except that a wait ends at a quiet point
// of the schedule: the run's phases change when nothing is in flight.
type phaseClock struct{ s burstSchedule }

func (phaseClock) Now() time.Time { return time.Now() }

func (phaseClock) AfterFunc(d time.Duration, f func()) clock.Timer { return time.AfterFunc(d, f) }

func (c phaseClock) After(d time.Duration) <-chan time.Time {
	now := time.Now()
	s := c.s
	n := (now.Add(d).Sub(s.epoch) - burstQuiet + s.interval - 1) / s.interval
	return time.After(s.epoch.Add(n*s.interval + burstQuiet).Sub(now))
}

// parityAttempts bounds the experiments parity runs.
const parityAttempts = 5

// designed says why r's experiment did not run as designed ("" when it
// did): whole bursts in the window, every one of them. A server that
// falls behind by half an interval sends a burst across an edge, or two
// heartbeats in one write, and a late one leaves fewer than planned.
func designed(eng string, r *report.Report, cfg Config) string {
	h := r.Heartbeats
	want := uint64(cfg.Clients) * uint64(cfg.Duration/cfg.ExpectedInterval)
	if h.OnWire != want || h.Missed > 0 {
		return fmt.Sprintf(" engine %s: %d heartbeats on the wire for %d clients (want %d), %d missed;", eng, h.OnWire, cfg.Clients, want, h.Missed)
	}
	return ""
}

// runBoth runs cfg on both engines at once.
func runBoth(t *testing.T, cfg Config) map[string]*report.Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var mu sync.Mutex
	reps := map[string]*report.Report{}
	var wg sync.WaitGroup
	for _, eng := range []string{EngineLean, EngineGRPCGo} {
		wg.Go(func() {
			c := cfg
			c.Engine = eng
			rep, err := Run(ctx, c)
			if err != nil {
				t.Errorf("Run(engine %s) error = %v", eng, err)
				return
			}
			mu.Lock()
			reps[eng] = rep
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(reps) != 2 {
		t.FailNow()
	}
	return reps
}

// checkClean checks what both engines must get exactly: every client,
// every byte attributed, the kernel's bytes equal to the counted ones.
func checkClean(t *testing.T, eng string, r *report.Report, clients int) {
	t.Helper()
	if r.Clients.Connected != clients || r.Clients.StreamsEnded != 0 {
		t.Errorf("engine %s: connected %d, streams ended %d, want %d and 0", eng, r.Clients.Connected, r.Clients.StreamsEnded, clients)
	}
	b, ti := r.Bytes, r.TCPInfo
	if b.ResidualIn != 0 || b.ResidualOut != 0 || b.TLSResidualIn != 0 || b.TLSResidualOut != 0 {
		t.Errorf("engine %s: residuals %d %d (TLS %d %d), want 0", eng, b.ResidualIn, b.ResidualOut, b.TLSResidualIn, b.TLSResidualOut)
	}
	if ti.PayloadDiffIn != 0 || ti.PayloadDiffOut != 0 || ti.Sockets != clients {
		t.Errorf("engine %s: TCP_INFO diff in %d out %d over %d sockets, want 0 0 over %d", eng, ti.PayloadDiffIn, ti.PayloadDiffOut, ti.Sockets, clients)
	}
}

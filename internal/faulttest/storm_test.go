package faulttest

import (
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"galaxy/galaxyctl/internal/backend"
	"galaxy/galaxyctl/internal/backoff"
	"galaxy/galaxyctl/internal/subscribe"
	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// Reconnect storm parameters and bounds.
const (
	stormSubscribers = 200
	// stormBase is long on purpose: the jitter window must be wide against
	// the time 2 cores under the race detector take to accept 200
	// reconnects (about 150 ms), or that queue alone would spread lockstep
	// reconnects as much as jitter does. At 1 s the window is 800–1200 ms.
	stormBase   = time.Second
	stormJitter = 0.2
	// stormSlack is added to the backoff cap for the last reconnect: the
	// handshakes queued behind the others on 2 cores.
	stormSlack = 500 * time.Millisecond
)

// TestReconnectStorm crashes the backend under 200 subscribers, each with
// its own gateway client id and its own client connection, with the next
// incarnation already listening behind the proxy. Their reconnects must be
// spread by the ±20 % jitter, not land in lockstep, and all must be back
// within the backoff cap plus stormSlack.
//
// Each subscriber has its own grpc.ClientConn, as each gateway has in
// production. Sharing one (or four) measured the same spread: once the
// shared channel is ready again each subscriber's RPC still waits out its
// own jittered delay, and with the scenarios' short connection backoff the
// channel is ready long before the first delay ends.
func TestReconnectStorm(t *testing.T) {
	bo := backoff.Config{Base: stormBase, Multiplier: 2, Jitter: stormJitter, Max: stormBase}
	ctx := testContext(t, 20*time.Second)
	a := startBackend(t, backend.Config{Incarnation: 0xa})
	p := startProxy(t, ctx, a.addr)
	recs := make([]*recorder, stormSubscribers)
	for i := range recs {
		recs[i] = newRecorder()
		runSubscriber(t, ctx, recs[i].configure(subscribe.Config{
			ClientID:  fmt.Sprintf("gw-%03d", i),
			Client:    pushv1.NewPushClient(dial(t, p.Addr())),
			FromStart: true,
			Backoff:   bo,
		}))
	}
	for _, r := range recs {
		s := r.wait(t, ctx, "every first stream", func(s snapshot) bool { return len(s.starts) >= 1 })
		if len(s.retries) > 0 {
			t.Fatalf("a stream ended before the restart: %v", s.retries[0].err)
		}
	}

	const incB = "000000000000000b"
	b := startBackend(t, backend.Config{Incarnation: 0xb})
	if err := p.SetTarget(b.addr); err != nil {
		t.Fatal(err)
	}
	restart := time.Now()
	a.stop()

	back := make([]time.Duration, 0, stormSubscribers)
	for i, r := range recs {
		onB := func(st started) bool { return st.info.Incarnation == incB }
		s := r.wait(t, ctx, "every subscriber back", func(s snapshot) bool { return slices.ContainsFunc(s.starts, onB) })
		back = append(back, s.starts[slices.IndexFunc(s.starts, onB)].at.Sub(restart))
		// The new incarnation was up before the old one died: the first
		// reconnect of each must have succeeded.
		if len(s.retries) != 1 {
			var why []string
			for _, r := range s.retries {
				why = append(why, fmt.Sprintf("at %v: %v", r.at.Sub(restart), r.err))
			}
			t.Errorf("gw-%03d retried %d times, want once: %v", i, len(s.retries), why)
		}
	}
	// Each receives the new incarnation's events.
	last := b.publish(1)[0]
	for _, r := range recs {
		r.waitHandled(t, ctx, last)
	}

	st := spreadOf(back)
	t.Logf("%d reconnects after the restart: first %v, median %v, last %v, std %v, at most %d within one ms",
		len(back), st.min, st.median, st.max, st.std, st.perMs)
	// Without jitter each waits exactly Base after its stream ended.
	if st.min >= stormBase {
		t.Errorf("first reconnect %v after the restart, want one before the un-jittered %v", st.min, stormBase)
	}
	// Uniform jitter of ±J around B has a standard deviation of J·B/√3,
	// 115 ms here (measured 114–121 ms); lockstep reconnects measured
	// 16–46 ms from queueing alone.
	if wantStd := time.Duration(stormJitter * float64(stormBase) / math.Sqrt(3) / 2); st.std < wantStd {
		t.Errorf("reconnect times have standard deviation %v, want at least %v (half the jitter's)", st.std, wantStd)
	}
	if maxPerMs := stormSubscribers / 10; st.perMs > maxPerMs {
		t.Errorf("%d reconnects within one millisecond, want at most %d (10%%)", st.perMs, maxPerMs)
	}
	// The cap is Max·(1+Jitter) = 1.2 s; all back within 1.7 s.
	if bound := time.Duration(float64(bo.Max)*(1+bo.Jitter)) + stormSlack; st.max > bound {
		t.Errorf("last reconnect %v after the restart, want within %v", st.max, bound)
	}
	if got := b.srv.Stats().Subscriptions; got != stormSubscribers {
		t.Errorf("new backend has %d subscriptions, want %d", got, stormSubscribers)
	}
}

// spread summarises reconnect times.
type spread struct {
	min, median, max, std time.Duration
	perMs                 int // the most that fall within one millisecond
}

func spreadOf(ds []time.Duration) spread {
	ds = slices.Sorted(slices.Values(ds))
	var mean float64
	for _, d := range ds {
		mean += float64(d)
	}
	mean /= float64(len(ds))
	var sq float64
	perMs := map[time.Duration]int{}
	most := 0
	for _, d := range ds {
		sq += (float64(d) - mean) * (float64(d) - mean)
		ms := d.Truncate(time.Millisecond)
		perMs[ms]++
		most = max(most, perMs[ms])
	}
	return spread{
		min:    ds[0],
		median: ds[len(ds)/2],
		max:    ds[len(ds)-1],
		std:    time.Duration(math.Sqrt(sq / float64(len(ds)))),
		perMs:  most,
	}
}

package faultproxy

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"galaxy/galaxyctl/internal/clock/clocktest"
)

// silence is how long a test watches a black-holed or refused connection
// for something that must not happen. Such a check cannot wait on an
// event, only for a while; the positive checks around it wait on events.
const silence = 50 * time.Millisecond

func TestCutAllResetsBothSides(t *testing.T) {
	ctx := testContext(t)
	e := newEchoServer(t, "")
	p := startProxy(t, ctx, Config{Target: e.addr()})
	var clients []*net.TCPConn
	for range 3 {
		c := dial(t, ctx, p.Addr())
		if _, err := roundTrip(c, "x", "x"); err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
	}
	if got := p.CutAll(); got != 3 {
		t.Errorf("CutAll() = %d, want 3", got)
	}
	for i, c := range clients {
		if _, err := c.Read(make([]byte, 1)); !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("client %d Read after CutAll = %v, want ECONNRESET", i, err)
		}
	}
	if err := p.WaitConns(ctx, 0); err != nil {
		t.Error(err)
	}
	if err := e.waitOpen(ctx, 0); err != nil {
		t.Errorf("server side after CutAll: %v, want every connection closed", err)
	}
	if got := p.Stats().Cut; got != 3 {
		t.Errorf("Stats().Cut = %d, want 3", got)
	}
	if got := p.CutAll(); got != 0 {
		t.Errorf("CutAll() with nothing open = %d, want 0", got)
	}
}

func TestCutRandomCutsOne(t *testing.T) {
	ctx := testContext(t)
	e := newEchoServer(t, "")
	p := startProxy(t, ctx, Config{Target: e.addr()})
	if info, ok := p.CutRandom(nil); ok {
		t.Errorf("CutRandom(nil) with nothing open = %+v, true, want false", info)
	}
	byAddr := map[string]*net.TCPConn{}
	for range 3 {
		c := dial(t, ctx, p.Addr())
		if _, err := roundTrip(c, "x", "x"); err != nil {
			t.Fatal(err)
		}
		byAddr[c.LocalAddr().String()] = c
	}
	info, ok := p.CutRandom(rand.New(rand.NewPCG(1, 2)))
	cut := byAddr[info.Client]
	if !ok || cut == nil || info.Target != e.addr() || info.ID < 1 || info.ID > 3 {
		t.Fatalf("CutRandom() = %+v, %v, want one of the 3 clients %v, target %s", info, ok, slices.Collect(mapsKeys(byAddr)), e.addr())
	}
	if _, err := cut.Read(make([]byte, 1)); !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("Read on the cut client = %v, want ECONNRESET", err)
	}
	for addr, c := range byAddr {
		if c == cut {
			continue
		}
		if got, err := roundTrip(c, "y", "y"); err != nil || got != "y" {
			t.Errorf("roundTrip on uncut client %s = %q, %v, want %q", addr, got, err, "y")
		}
	}
	if err := p.WaitConns(ctx, 2); err != nil {
		t.Error(err)
	}
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// TestBlackHole checks every promise of a black hole: writes succeed but
// reach nobody, nothing comes back, a close from the far side is not passed
// on, and new connections flow.
func TestBlackHole(t *testing.T) {
	ctx := testContext(t)
	e := newEchoServer(t, "")
	p := startProxy(t, ctx, Config{Target: e.addr()})
	holed := dial(t, ctx, p.Addr())
	if _, err := roundTrip(holed, "ping", "ping"); err != nil {
		t.Fatal(err)
	}
	if got := p.BlackHole(true); got != 1 {
		t.Errorf("BlackHole(true) = %d, want 1", got)
	}
	if _, err := holed.Write([]byte("lost")); err != nil {
		t.Fatalf("Write into a black hole = %v, want success", err)
	}
	if err := p.Wait(ctx, func(s Stats) bool { return s.Discarded == 4 }); err != nil {
		t.Fatalf("Stats().Discarded = %d, want 4: %v", p.Stats().Discarded, err)
	}
	if _, received := e.stats(); received != 4 {
		t.Errorf("echo server received %d bytes, want 4 (only the ping before the black hole)", received)
	}
	expectSilence(t, holed, "black-holed connection")

	fresh := dial(t, ctx, p.Addr())
	if got, err := roundTrip(fresh, "new", "new"); err != nil || got != "new" {
		t.Fatalf("roundTrip on a connection opened after BlackHole(true) = %q, %v, want %q", got, err, "new")
	}

	// The server closes both; only the fresh connection may learn of it.
	e.closeConns()
	if _, err := fresh.Read(make([]byte, 1)); !isReset(err) {
		t.Errorf("fresh Read after the server closed = %v, want EOF", err)
	}
	_ = fresh.Close()
	expectSilence(t, holed, "black-holed connection after the server closed it")
	if err := p.WaitConns(ctx, 1); err != nil {
		t.Errorf("the black-holed connection must stay open for its client: %v", err)
	}
	_ = holed.Close()
	if err := p.WaitConns(ctx, 0); err != nil {
		t.Errorf("after the client closed the black-holed connection: %v", err)
	}
}

// expectSilence checks that nothing, neither data nor a close, arrives on c
// for a while.
func expectSilence(t *testing.T, c net.Conn, what string) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(silence))
	defer func() { _ = c.SetReadDeadline(time.Time{}) }()
	n, err := c.Read(make([]byte, 16))
	var ne net.Error
	if n != 0 || !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("Read on %s = %d bytes, %v, want nothing until a timeout", what, n, err)
	}
}

// TestBlackHoleLifted checks that lifting the hole lets traffic flow again
// on a connection whose far side is still up.
func TestBlackHoleLifted(t *testing.T) {
	ctx := testContext(t)
	e := newEchoServer(t, "")
	p := startProxy(t, ctx, Config{Target: e.addr()})
	c := dial(t, ctx, p.Addr())
	// The round trip makes sure the proxy holds the connection before the
	// hole opens.
	if _, err := roundTrip(c, "x", "x"); err != nil {
		t.Fatal(err)
	}
	if got := p.BlackHole(true); got != 1 {
		t.Fatalf("BlackHole(true) = %d, want 1", got)
	}
	if _, err := c.Write([]byte("lost")); err != nil {
		t.Fatal(err)
	}
	if err := p.Wait(ctx, func(s Stats) bool { return s.Discarded == 4 }); err != nil {
		t.Fatal(err)
	}
	if got := p.BlackHole(false); got != 1 {
		t.Errorf("BlackHole(false) = %d, want 1", got)
	}
	if got, err := roundTrip(c, "back", "back"); err != nil || got != "back" {
		t.Errorf("roundTrip after BlackHole(false) = %q, %v, want %q", got, err, "back")
	}
}

// sleepRecorder is a Config.Sleep that records each delay and returns at
// once.
type sleepRecorder struct {
	mu sync.Mutex
	ds []time.Duration
}

func (r *sleepRecorder) sleep(ctx context.Context, d time.Duration) error {
	r.mu.Lock()
	r.ds = append(r.ds, d)
	r.mu.Unlock()
	return ctx.Err()
}

func (r *sleepRecorder) delays() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.ds)
}

func TestDelayHoldsEachChunk(t *testing.T) {
	ctx := testContext(t)
	e := newEchoServer(t, "")
	rec := &sleepRecorder{}
	p := startProxy(t, ctx, Config{Target: e.addr(), Sleep: rec.sleep})
	c := dial(t, ctx, p.Addr())
	p.Delay(30 * time.Millisecond)
	if _, err := roundTrip(c, "slow", "slow"); err != nil {
		t.Fatal(err)
	}
	// One chunk each way.
	want := []time.Duration{30 * time.Millisecond, 30 * time.Millisecond}
	if got := rec.delays(); !slices.Equal(got, want) {
		t.Errorf("delays after one round trip with Delay(30ms) = %v, want %v", got, want)
	}
	p.Delay(0)
	if _, err := roundTrip(c, "fast", "fast"); err != nil {
		t.Fatal(err)
	}
	if got := rec.delays(); len(got) != 2 {
		t.Errorf("delays after Delay(0) = %v, want no more than %v", got, want)
	}
}

// TestDelayRealTime checks the default Sleep: a round trip takes at least
// the delay twice.
func TestDelayRealTime(t *testing.T) {
	ctx := testContext(t)
	e := newEchoServer(t, "")
	p := startProxy(t, ctx, Config{Target: e.addr()})
	c := dial(t, ctx, p.Addr())
	const d = 20 * time.Millisecond
	p.Delay(d)
	start := time.Now()
	if _, err := roundTrip(c, "x", "x"); err != nil {
		t.Fatal(err)
	}
	if got := time.Since(start); got < 2*d {
		t.Errorf("round trip with Delay(%v) took %v, want at least %v", d, got, 2*d)
	}
}

func TestRefuse(t *testing.T) {
	ctx := testContext(t)
	e := newEchoServer(t, "")
	p := startProxy(t, ctx, Config{Target: e.addr()})
	open := dial(t, ctx, p.Addr())
	if _, err := roundTrip(open, "x", "x"); err != nil {
		t.Fatal(err)
	}
	p.Refuse(true)
	if err := dialAndRead(ctx, p.Addr()); !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("dial and Read on a refused connection = %v, want ECONNRESET", err)
	}
	if got, err := roundTrip(open, "y", "y"); err != nil || got != "y" {
		t.Errorf("roundTrip on a connection opened before Refuse = %q, %v, want %q", got, err, "y")
	}
	p.Refuse(false)
	later := dial(t, ctx, p.Addr())
	if got, err := roundTrip(later, "z", "z"); err != nil || got != "z" {
		t.Errorf("roundTrip after Refuse(false) = %q, %v, want %q", got, err, "z")
	}
	if accepted, _ := e.stats(); accepted != 2 {
		t.Errorf("echo server accepted %d connections, want 2 (the refused one never reaches it)", accepted)
	}
	if s := p.Stats(); s.Refused != 1 || s.Accepted != 2 {
		t.Errorf("Stats() = %+v, want Refused 1, Accepted 2", s)
	}
}

func TestRefuseFor(t *testing.T) {
	ctx := testContext(t)
	e := newEchoServer(t, "")
	start := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := clocktest.New(start)
	p := startProxy(t, ctx, Config{Target: e.addr(), Now: clock.Now})
	p.RefuseFor(time.Second)
	for _, step := range []struct {
		advance time.Duration
		refused bool
	}{
		{0, true},
		{999 * time.Millisecond, true},
		{time.Millisecond, false},
	} {
		clock.Advance(step.advance)
		err := dialAndEcho(ctx, p.Addr())
		if refused := err != nil; refused != step.refused {
			t.Errorf("dial and echo at %v into RefuseFor(1s) = %v, want refused %v", clock.Now().Sub(start), err, step.refused)
		}
	}
}

// TestControlsUnderTraffic runs every control concurrently with traffic, for
// the race detector and for deadlocks; Close must still return.
func TestControlsUnderTraffic(t *testing.T) {
	ctx := testContext(t)
	e := newEchoServer(t, "")
	p, err := Start(ctx, Config{Target: e.addr()})
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			var d net.Dialer
			for {
				select {
				case <-stop:
					return
				default:
				}
				c, err := d.DialContext(ctx, "tcp", p.Addr())
				if err != nil {
					continue
				}
				_ = c.SetDeadline(time.Now().Add(100 * time.Millisecond))
				_, _ = roundTrip(c, "traffic", "traffic")
				_ = c.Close()
			}
		})
	}
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 200 {
		switch i % 6 {
		case 0:
			p.CutAll()
		case 1:
			p.CutRandom(r)
		case 2:
			p.BlackHole(i%12 == 2)
		case 3:
			p.Delay(time.Duration(i%3) * time.Millisecond)
		case 4:
			p.Refuse(i%12 == 4)
		case 5:
			_ = p.Stats()
		}
	}
	close(stop)
	wg.Wait()
	if err := p.Close(); err != nil {
		t.Errorf("Close() = %v", err)
	}
	if got := p.Conns(); got != 0 {
		t.Errorf("Conns() after Close = %d, want 0", got)
	}
}

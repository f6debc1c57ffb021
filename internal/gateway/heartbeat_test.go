package gateway

import (
	"bytes"
	"errors"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"google.golang.org/protobuf/proto"

	"galaxy/galaxyctl/internal/clock/clocktest"
	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
)

const interval = 10 * time.Second

// recorder is a send func that logs "H" for a heartbeat and "E" for any
// other event.
type recorder struct {
	mu  sync.Mutex
	log strings.Builder
	// fail, if set, decides the error of each send.
	fail func(ev *gatewayv1.GatewayEvent) error
}

func (r *recorder) send(ev *gatewayv1.GatewayEvent) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		if err := r.fail(ev); err != nil {
			return err
		}
	}
	if ev.GetEventType() == gatewayv1.HeartbeatEventType {
		r.log.WriteString("H")
	} else {
		r.log.WriteString("E")
	}
	return nil
}

func (r *recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.log.String()
}

var realEvent = &gatewayv1.GatewayEvent{EventType: "order.created", EventId: "c1"}

func TestHeartbeatEncodesTo19Bytes(t *testing.T) {
	b, err := proto.Marshal(heartbeatEvent)
	if err != nil {
		t.Fatalf("proto.Marshal(heartbeat) error = %v", err)
	}
	want := append([]byte{0x0a, 0x11}, gatewayv1.HeartbeatEventType...)
	if len(b) != 19 || !bytes.Equal(b, want) {
		t.Errorf("proto.Marshal(heartbeat) = %d bytes %x, want 19 bytes %x", len(b), b, want)
	}

	// And what a stream actually sends is that event, unsigned.
	var got *gatewayv1.GatewayEvent
	clock := &clocktest.Fake{}
	hs := NewHeartbeatStream(func(ev *gatewayv1.GatewayEvent) error { got = ev; return nil },
		HeartbeatConfig{Interval: interval, Clock: clock})
	defer hs.Stop()
	clock.Advance(interval)
	if n := proto.Size(got); n != 19 || len(got.GetSignature()) != 0 {
		t.Errorf("sent heartbeat = %v (%d bytes), want an unsigned 19-byte heartbeat", got, n)
	}
}

// step is one action on a heartbeat stream: a real send, or time passing.
type step struct {
	send    bool
	advance time.Duration
}

func TestHeartbeatAfterEachSilence(t *testing.T) {
	flowing := make([]step, 0, 20)
	for range 10 {
		flowing = append(flowing, step{advance: interval - time.Second}, step{send: true})
	}
	tests := []struct {
		name  string
		steps []step
		want  string
	}{
		{"idle one interval", []step{{advance: interval}}, "H"},
		{"idle just short of it", []step{{advance: interval - time.Nanosecond}}, ""},
		{"idle three intervals", []step{{advance: 3 * interval}}, "HHH"},
		{"send restarts the silence", []step{
			{advance: interval - time.Second}, {send: true}, {advance: interval - time.Second},
		}, "E"},
		{"beat one interval after the last send", []step{
			{advance: 5 * time.Second}, {send: true}, {advance: interval},
		}, "EH"},
		{"beats resume after a burst", []step{
			{advance: interval}, {send: true}, {send: true}, {advance: interval / 2}, {send: true}, {advance: 2 * interval},
		}, "HEEEHH"},
		{"none while events flow", flowing, "EEEEEEEEEE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := &clocktest.Fake{}
			rec := &recorder{}
			hs := NewHeartbeatStream(rec.send, HeartbeatConfig{Interval: interval, Clock: clock})
			defer hs.Stop()
			for _, s := range tt.steps {
				if s.send {
					if err := hs.Send(realEvent); err != nil {
						t.Fatalf("Send() = %v, want nil", err)
					}
				}
				clock.Advance(s.advance)
			}
			if got := rec.String(); got != tt.want {
				t.Errorf("sends = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestHeartbeatDisabled(t *testing.T) {
	for _, iv := range []time.Duration{0, -time.Second} {
		clock := &clocktest.Fake{}
		rec := &recorder{}
		hs := NewHeartbeatStream(rec.send, HeartbeatConfig{Interval: iv, Clock: clock})
		clock.Advance(time.Hour)
		if err := hs.Send(realEvent); err != nil {
			t.Errorf("interval %v: Send() = %v, want nil", iv, err)
		}
		clock.Advance(time.Hour)
		hs.Stop()
		if got, timers := rec.String(), clock.Created(); got != "E" || timers != 0 {
			t.Errorf("interval %v: sends = %q with %d timers, want %q with 0", iv, got, timers, "E")
		}
	}
}

func TestHeartbeatStop(t *testing.T) {
	clock := &clocktest.Fake{}
	rec := &recorder{}
	hs := NewHeartbeatStream(rec.send, HeartbeatConfig{Interval: interval, Clock: clock})
	if n := clock.Pending(); n != 1 {
		t.Fatalf("armed timers before Stop = %d, want 1", n)
	}
	hs.Stop()
	hs.Stop()
	if n := clock.Pending(); n != 0 {
		t.Errorf("armed timers after Stop = %d, want 0", n)
	}
	clock.Advance(10 * interval)
	if err := hs.Send(realEvent); !errors.Is(err, ErrStopped) {
		t.Errorf("Send() after Stop = %v, want ErrStopped", err)
	}
	if got := rec.String(); got != "" {
		t.Errorf("sends after Stop = %q, want none", got)
	}
}

// blockingSend is a send func whose sends of realEvent block until release
// is closed, reporting on entered when they begin.
func blockingSend(rec *recorder, entered chan<- struct{}, release <-chan struct{}) func(*gatewayv1.GatewayEvent) error {
	return func(ev *gatewayv1.GatewayEvent) error {
		if ev == realEvent {
			entered <- struct{}{}
			<-release
		}
		return rec.send(ev)
	}
}

// TestHeartbeatFiredTimerWaitingForSend covers a timer that fires while a
// real send holds the stream: its callback must not send a heartbeat when
// it finally runs, whether Stop came in between or the send re-armed it.
func TestHeartbeatFiredTimerWaitingForSend(t *testing.T) {
	for _, stop := range []bool{true, false} {
		ctx := testContext(t)
		clock := &clocktest.Fake{}
		firing := make(chan struct{})
		clock.SetFiring(firing)
		rec := &recorder{}
		entered, release := make(chan struct{}), make(chan struct{})
		hs := NewHeartbeatStream(blockingSend(rec, entered, release), HeartbeatConfig{Interval: interval, Clock: clock})

		sent := make(chan error)
		go func() { sent <- hs.Send(realEvent) }()
		<-entered
		advanced := make(chan struct{})
		go func() { clock.Advance(interval); close(advanced) }()
		select {
		case <-firing: // the callback now waits for the send to finish
		case <-ctx.Done():
			t.Fatal("timer did not fire")
		}
		if stop {
			hs.Stop()
		}
		close(release)
		if err := <-sent; err != nil {
			t.Fatalf("Send() = %v, want nil", err)
		}
		<-advanced
		if got := rec.String(); got != "E" {
			t.Errorf("stop=%v: sends after the overtaken firing = %q, want %q", stop, got, "E")
		}
		clock.SetFiring(nil)
		clock.Advance(interval)
		want := "EH"
		if stop {
			want = "E"
		}
		if got := rec.String(); got != want {
			t.Errorf("stop=%v: sends one interval later = %q, want %q", stop, got, want)
		}
		hs.Stop()
		if n := clock.Pending(); n != 0 {
			t.Errorf("stop=%v: armed timers after Stop = %d, want 0", stop, n)
		}
	}
}

func TestHeartbeatOutcomeCounted(t *testing.T) {
	meter, reader := newTestMeter(t)
	counter, err := HeartbeatCounter(meter)
	if err != nil {
		t.Fatalf("HeartbeatCounter() = %v", err)
	}
	boom := errors.New("connection reset")
	beats := 0
	rec := &recorder{fail: func(ev *gatewayv1.GatewayEvent) error {
		if ev.GetEventType() == gatewayv1.HeartbeatEventType {
			if beats++; beats == 2 {
				return boom
			}
		}
		return nil
	}}
	var reported []error
	clock := &clocktest.Fake{}
	hs := NewHeartbeatStream(rec.send, HeartbeatConfig{
		Interval: interval, Clock: clock, Counter: counter,
		OnError: func(err error) { reported = append(reported, err) },
	})
	defer hs.Stop()

	clock.Advance(interval) // sent
	if err := hs.Err(); err != nil {
		t.Errorf("Err() after a good heartbeat = %v, want nil", err)
	}
	clock.Advance(interval)      // error: heartbeats end
	clock.Advance(10 * interval) // nothing more
	if beats != 2 {
		t.Errorf("heartbeat attempts = %d, want 2 (none after the failure)", beats)
	}
	if len(reported) != 1 || !errors.Is(reported[0], boom) {
		t.Errorf("OnError calls = %v, want [%v]", reported, boom)
	}
	if err := hs.Err(); !errors.Is(err, boom) {
		t.Errorf("Err() = %v, want %v", err, boom)
	}
	if n := clock.Pending(); n != 0 {
		t.Errorf("armed timers after a failed heartbeat = %d, want 0", n)
	}
	for outcome, want := range map[string]int64{"sent": 1, "error": 1} {
		if got := metricValue(t, reader, heartbeatsName, attribute.String("outcome", outcome)); got != want {
			t.Errorf("%s{outcome=%q} = %d, want %d", heartbeatsName, outcome, got, want)
		}
	}
}

func TestHeartbeatSendsNeverOverlap(t *testing.T) {
	const n = 2000
	var inFlight, overlaps, events, beats atomic.Int64
	send := func(ev *gatewayv1.GatewayEvent) error {
		if inFlight.Add(1) != 1 {
			overlaps.Add(1)
		}
		runtime.Gosched() // widen the window a concurrent send would need
		if ev.GetEventType() == gatewayv1.HeartbeatEventType {
			beats.Add(1)
		} else {
			events.Add(1)
		}
		inFlight.Add(-1)
		return nil
	}
	clock := &clocktest.Fake{}
	hs := NewHeartbeatStream(send, HeartbeatConfig{Interval: interval, Clock: clock})
	defer hs.Stop()

	var wg sync.WaitGroup
	wg.Go(func() {
		for range n {
			if err := hs.Send(realEvent); err != nil {
				t.Errorf("Send() = %v, want nil", err)
				return
			}
		}
	})
	wg.Go(func() {
		for range n {
			clock.Advance(interval)
		}
	})
	wg.Wait()
	clock.Advance(interval) // at least one beat, whatever the interleaving
	if o, e, b := overlaps.Load(), events.Load(), beats.Load(); o != 0 || e != n || b == 0 {
		t.Errorf("overlapping sends = %d, events = %d, heartbeats = %d; want 0, %d, > 0", o, e, b, n)
	}
}

// TestHeartbeatSystemClock runs the real timer briefly: it is what
// production uses, and goleak checks that Stop leaves nothing behind.
func TestHeartbeatSystemClock(t *testing.T) {
	ctx := testContext(t)
	beats := make(chan struct{}, 1)
	hs := NewHeartbeatStream(func(*gatewayv1.GatewayEvent) error {
		select {
		case beats <- struct{}{}:
		default:
		}
		return nil
	}, HeartbeatConfig{Interval: time.Millisecond})
	for i := range 3 {
		select {
		case <-beats:
		case <-ctx.Done():
			t.Fatalf("heartbeat %d did not arrive: %v", i+1, ctx.Err())
		}
	}
	hs.Stop()
}

package gateway

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
)

// BenchmarkHeartbeatStreamSend is the per-event overhead the wrapper adds
// to a client send: two locks and a timer reset.
func BenchmarkHeartbeatStreamSend(b *testing.B) {
	hs := NewHeartbeatStream(func(*gatewayv1.GatewayEvent) error { return nil }, HeartbeatConfig{Interval: time.Hour})
	defer hs.Stop()
	ev := sampleEvent()
	b.ReportAllocs()
	for b.Loop() {
		if err := hs.Send(ev); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDispatch1000Clients dispatches to 1,000 every-event clients;
// ns/op covers signing, queueing and delivery to all of them, and
// dispatch-ns/op the Dispatch call alone.
func BenchmarkDispatch1000Clients(b *testing.B) {
	const clients = 1000
	s, err := New(Config{SigningKey: testKey})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var delivered atomic.Int64
	send := func(*gatewayv1.GatewayEvent) error { delivered.Add(1); return nil }
	var wg sync.WaitGroup
	for range clients {
		done := startServe(ctx, s, "", send)
		wg.Go(func() { <-done })
	}
	ev := pushEvent("c1", "alice", make([]byte, 256))

	b.ReportAllocs()
	b.ResetTimer()
	var inDispatch time.Duration
	for range b.N {
		start := time.Now()
		s.Dispatch(ev)
		inDispatch += time.Since(start)
	}
	for delivered.Load() < int64(b.N)*clients {
		runtime.Gosched()
	}
	b.StopTimer()
	b.ReportMetric(float64(inDispatch.Nanoseconds())/float64(b.N), "dispatch-ns/op")
	cancel()
	wg.Wait()
}

// BenchmarkIdleStreamMemory measures what one idle client costs the
// gateway beyond gRPC's own stream: its hub entry, heartbeat stream and
// timer on the heap, and the handler goroutine's stack.
func BenchmarkIdleStreamMemory(b *testing.B) {
	const streams = 10000
	for range b.N {
		s, err := New(Config{SigningKey: testKey, Heartbeat: DefaultHeartbeat})
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		dones := make([]<-chan error, streams)
		for i := range streams {
			dones[i] = startServe(ctx, s, fmt.Sprintf("user-%d", i), func(*gatewayv1.GatewayEvent) error { return nil })
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapInuse-before.HeapInuse)/streams, "heap-B/stream")
		b.ReportMetric(float64(after.StackInuse-before.StackInuse)/streams, "stack-B/stream")
		cancel()
		for _, d := range dones {
			<-d
		}
		s.Close()
	}
}

package gateway

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
)

// The catch-up memory measurement is a harness run by hand, not a test:
// it takes a minute or two and most of both cores.
//
//	GALAXY_MEASURE_CATCHUP=1 go test -run '^TestCatchUpMemory$' -v ./internal/gateway
//
// A gateway with the default window serves 1,000 client streams (10
// connections × 100) held by a child process, so the clients' memory is
// not the gateway's; then 65,536 events are dispatched back to back, as
// the subscriber does with a replay, and every client reads every one. It
// reports the gateway process's heap_inuse and RSS, at rest and at peak.
const (
	measureEnv     = "GALAXY_MEASURE_CATCHUP"
	catchUpAddrEnv = "GALAXY_CATCHUP_ADDR"
	memClients     = 1000
	memConns       = 10
	memEvents      = 65536
	memPayload     = 64 // serve's synthetic events are about this size
)

func TestCatchUpMemory(t *testing.T) {
	if os.Getenv(measureEnv) == "" {
		t.Skip("a measurement run by hand: " + measureEnv + "=1")
	}
	gw, err := New(Config{SigningKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(DefaultLimits().GRPCServerOptions(NewConnTracker(nil), nil)...)
	gatewayv1.RegisterGatewayServer(srv, gw)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	defer func() { gw.Close(); srv.Stop() }()

	child := exec.CommandContext(context.Background(), os.Args[0], "-test.run=^TestCatchUpMemoryClients$", "-test.v")
	child.Env = append(os.Environ(), catchUpAddrEnv+"="+ln.Addr().String())
	child.Stderr = os.Stderr
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = child.Process.Kill(); _ = child.Wait() }()
	lines := bufio.NewScanner(out)
	expect := func(prefix string) string {
		for lines.Scan() {
			if l := lines.Text(); strings.HasPrefix(l, prefix) {
				return l
			}
		}
		t.Fatalf("client process ended before %q: %v", prefix, lines.Err())
		return ""
	}
	expect("ready")
	rest := sampleMem()
	peak := newMemPeak()
	begin := time.Now()
	body := make([]byte, memPayload)
	for i := range memEvents {
		gw.Dispatch(pushEvent(fmt.Sprintf("0000000000000001-%016x", i+1), "", body))
	}
	dispatched := time.Since(begin)
	done := expect("done")
	took := time.Since(begin)
	high := peak.stop()
	go func() { _, _ = io.Copy(io.Discard, out) }()
	t.Logf("%d events to %d clients: dispatched in %v, all read in %v (%s)", memEvents, memClients, dispatched.Round(time.Millisecond), took.Round(time.Millisecond), done)
	t.Logf("gateway at rest with %d streams: heap_inuse %d MiB, live heap %d MiB, RSS %d MiB", memClients, rest.heap>>20, rest.live>>20, rest.rss>>20)
	t.Logf("gateway peak during the catch-up: heap_inuse %d MiB, live heap %d MiB, RSS %d MiB (VmHWM %d MiB)", high.heap>>20, high.live>>20, high.rss>>20, readProcKB("VmHWM")>>10)
	runtime.GC()
	after := sampleMem()
	t.Logf("gateway after the catch-up, window full: heap_inuse %d MiB, live heap %d MiB", after.heap>>20, after.live>>20)
	if gw.windowLen() != memEvents {
		t.Errorf("window holds %d events, want all %d", gw.windowLen(), memEvents)
	}
}

// TestCatchUpMemoryClients is the client process of TestCatchUpMemory.
func TestCatchUpMemoryClients(t *testing.T) {
	addr := os.Getenv(catchUpAddrEnv)
	if addr == "" {
		t.Skip("run by TestCatchUpMemory")
	}
	ctx := context.Background()
	var ready, done sync.WaitGroup
	begin := time.Now()
	for i := range memConns {
		conn, err := grpc.NewClient("passthrough:///"+addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		c := gatewayv1.NewGatewayClient(conn)
		for j := range memClients / memConns {
			ready.Add(1)
			done.Add(1)
			go func() {
				defer done.Done()
				st, err := c.Subscribe(ctx, &gatewayv1.SubscribeRequest{})
				if err == nil {
					_, err = st.Header()
				}
				ready.Done()
				if err != nil {
					t.Errorf("client %d/%d: %v", i, j, err)
					return
				}
				for n := 0; n < memEvents; {
					ev, err := st.Recv()
					if err != nil {
						t.Errorf("client %d/%d after %d events: %v", i, j, n, err)
						return
					}
					if ev.GetEventType() != heartbeatType {
						n++
					}
				}
			}()
		}
	}
	ready.Wait()
	fmt.Println("ready")
	done.Wait()
	fmt.Printf("done: clients' RSS peak %d MiB in %v\n", readProcKB("VmHWM")>>10, time.Since(begin).Round(time.Millisecond))
}

// heartbeatType is the heartbeat's event_type, for the client process.
const heartbeatType = gatewayv1.HeartbeatEventType

// memSample is heap_inuse, the live heap as of the last GC (what survives
// collection: heap_inuse also holds garbage not yet collected), and RSS.
type memSample struct{ heap, live, rss uint64 }

func sampleMem() memSample {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(live)
	return memSample{heap: m.HeapInuse, live: live[0].Value.Uint64(), rss: readProcKB("VmRSS") << 10}
}

// readProcKB reads a "kB" field of /proc/self/status (0 where there is
// none, off Linux).
func readProcKB(field string) uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			n, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

// memPeak samples memory every 20 ms until stop.
type memPeak struct {
	quit chan struct{}
	out  chan memSample
}

func newMemPeak() *memPeak {
	p := &memPeak{quit: make(chan struct{}), out: make(chan memSample, 1)}
	go func() {
		var high memSample
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			s := sampleMem()
			high.heap, high.live, high.rss = max(high.heap, s.heap), max(high.live, s.live), max(high.rss, s.rss)
			select {
			case <-p.quit:
				p.out <- high
				return
			case <-tick.C:
			}
		}
	}()
	return p
}

func (p *memPeak) stop() memSample {
	close(p.quit)
	return <-p.out
}

//go:build linux

package lean

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"galaxy/galaxyctl/internal/loadgen/wire"
)

// senderEnv makes the test binary a raw heartbeat sender (runSender).
const senderEnv = "LEAN_BENCH_SENDER"

func init() {
	if os.Getenv(senderEnv) != "" {
		runSender()
		os.Exit(0)
	}
}

// BenchmarkHeartbeatRate is how many heartbeats one core can receive and
// account: the engine on one event loop at GOMAXPROCS=1, each client's
// bytes decoded by the same decoders as bench's, against a raw sender in
// another process that writes pre-encoded 33-byte DATA frames round-robin
// over the connections, one write per frame, as idle streams receive
// them. b.N is heartbeats. Sender and receiver share this machine's cores,
// so the wall rate (hb/s) understates what one core does: hb/cpu-s, from
// this process's own CPU time, is the figure the target (200,000) is
// checked against.
func BenchmarkHeartbeatRate(b *testing.B) {
	const conns = 500
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	snd := startSender(b)
	var got atomic.Int64
	e, err := New(Config{Protocol: ProtocolGRPC, HTTP: HTTP2, Profile: ProfileGRPCGoStatic, Authority: snd.addr,
		Loops: 1, Events: countEvents{&got}})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	for i := range conns {
		nc, err := net.Dial("tcp", snd.addr)
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c, err := e.Connect(ctx, nc, newMeter(false, HTTP2))
		if err == nil {
			err = c.Open(ctx, i, "bench")
		}
		cancel()
		if err != nil {
			b.Fatalf("open %d: %v", i, err)
		}
	}
	cpu0 := cpuTime()
	b.ResetTimer()
	start := time.Now()
	snd.send(b.N)
	deadline := time.Now().Add(time.Duration(b.N)*50*time.Microsecond + 30*time.Second)
	for got.Load() < int64(b.N) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond) // a benchmark's poll, not a test's wait
	}
	wall := time.Since(start)
	b.StopTimer()
	cpu := cpuTime() - cpu0
	if n := got.Load(); n < int64(b.N) {
		b.Fatalf("received %d of %d heartbeats", n, b.N)
	}
	b.ReportMetric(float64(b.N)/cpu.Seconds(), "hb/cpu-s")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/hb")
	b.ReportMetric(float64(b.N)/wall.Seconds(), "hb/s")
}

// countEvents counts heartbeats.
type countEvents struct{ n *atomic.Int64 }

func (c countEvents) Message(_ int, hb bool, _ time.Time) {
	if hb {
		c.n.Add(1)
	}
}
func (countEvents) End(int, error) {}

// cpuTime is this process's user and system time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// sender is the child process that sends heartbeats.
type sender struct {
	addr string
	in   io.Writer
	out  *bufio.Scanner
}

func startSender(b *testing.B) *sender {
	b.Helper()
	cmd := exec.CommandContext(b.Context(), os.Args[0], "-test.run", "^$")
	cmd.Env = append(os.Environ(), senderEnv+"=1")
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		in.Close()
		cmd.Wait()
	})
	s := &sender{in: in, out: bufio.NewScanner(out)}
	if !s.out.Scan() {
		b.Fatal("the sender did not start")
	}
	s.addr = strings.TrimPrefix(s.out.Text(), "ADDR ")
	return s
}

// send has the sender write n heartbeats and waits until it has.
func (s *sender) send(n int) {
	fmt.Fprintf(s.in, "SEND %d\n", n)
	s.out.Scan()
}

// runSender is the sender process: it serves each connection a SETTINGS
// and a response header, then on "SEND n" writes n heartbeat frames
// round-robin, one write each, and answers "SENT"; it exits when its
// stdin closes.
func runSender() {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	fmt.Println("ADDR " + lis.Addr().String())
	ready := make(chan net.Conn, 1024)
	go func() {
		for {
			c, err := lis.Accept()
			if err != nil {
				return
			}
			go serveSender(c, ready)
		}
	}()
	msg := append([]byte{0, 0, 0, 0, byte(wire.HeartbeatMessageLen), 0x0a, 17}, "gateway.heartbeat"...)
	var frame bytes.Buffer
	http2.NewFramer(&frame, nil).WriteData(1, false, msg)
	var conns []net.Conn
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		n, _ := strconv.Atoi(strings.TrimPrefix(sc.Text(), "SEND "))
		for len(ready) > 0 {
			conns = append(conns, <-ready)
		}
		for i := range n {
			conns[i%len(conns)].Write(frame.Bytes())
		}
		fmt.Println("SENT")
	}
}

// serveSender answers a client's preface and request, then drains what it
// writes (its WINDOW_UPDATEs).
func serveSender(c net.Conn, ready chan<- net.Conn) {
	br := bufio.NewReader(c)
	if _, err := io.ReadFull(br, make([]byte, len(http2.ClientPreface))); err != nil {
		return
	}
	var out bytes.Buffer
	fr := http2.NewFramer(&out, br)
	fr.WriteSettings()
	c.Write(out.Bytes())
	out.Reset()
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			return
		}
		if _, ok := f.(*http2.HeadersFrame); ok {
			break
		}
	}
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	enc.WriteField(hpack.HeaderField{Name: ":status", Value: "200"})
	enc.WriteField(hpack.HeaderField{Name: "content-type", Value: "application/grpc"})
	fr.WriteSettingsAck()
	fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: hb.Bytes(), EndHeaders: true})
	c.Write(out.Bytes())
	ready <- c
	io.Copy(io.Discard, br)
}

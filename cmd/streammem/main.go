// Command streammem measures what one idle Subscribe stream costs a real
// `galaxyctl serve`, for each protocol, HTTP version and TLS: the README's
// memory table, until bench measures every client kind itself. For each
// combination it starts serve as a child, opens -n streams, one TCP
// connection each, with a lean client that behaves like a browser on the
// wire (HEADERS without waiting for SETTINGS, PINGs answered), waits for
// every response header, lets them idle, and reads the server's /metrics
// before and after.
//
//	go run ./cmd/streammem -n 5000
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"galaxy/galaxyctl/internal/loadgen/probe"
	"galaxy/galaxyctl/internal/loadgen/report"
)

// combo is one client kind.
type combo struct {
	Protocol string `json:"protocol"` // grpc, connect, grpc-web
	Codec    string `json:"codec"`    // proto, json
	HTTP     string `json:"http"`     // 1.1, 2
	TLS      bool   `json:"tls"`
}

func (c combo) String() string {
	tls := "plaintext"
	if c.TLS {
		tls = "TLS"
	}
	return fmt.Sprintf("%s %s HTTP/%s %s", c.Protocol, c.Codec, c.HTTP, tls)
}

// row is one measurement.
type row struct {
	combo
	Streams         int     `json:"streams"`
	Failed          int64   `json:"failed"`
	FirstError      string  `json:"first_error,omitempty"`
	RSSPerStream    float64 `json:"rss_bytes_per_stream"`
	HeapPerStream   float64 `json:"heap_bytes_per_stream"`
	GoroutinesPer   float64 `json:"goroutines_per_stream"`
	HeartbeatsSeen  int64   `json:"data_frames"`
	RampSeconds     float64 `json:"ramp_seconds"`
	ServerHeapBasis string  `json:"server_heap_metric"`
}

func main() {
	n := flag.Int("n", 5000, "idle streams per combination")
	settle := flag.Duration("settle", 5*time.Second, "idle time after the last stream opened, before measuring")
	heartbeat := flag.Duration("heartbeat", time.Second, "serve's --heartbeat")
	bin := flag.String("bin", "", "galaxyctl binary (default: go build ./cmd/galaxyctl)")
	only := flag.String("only", "", "measure only combinations whose name contains this")
	jsonOut := flag.Bool("json", false, "print JSON lines instead of a table")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if _, _, err := probe.RaiseFileLimit(); err != nil {
		fmt.Fprintln(os.Stderr, "streammem: open-file limit:", err)
	}
	if *bin == "" {
		dir, err := os.MkdirTemp("", "streammem-")
		if err != nil {
			fail(err)
		}
		defer func() { _ = os.RemoveAll(dir) }()
		*bin = filepath.Join(dir, "galaxyctl")
		build := exec.CommandContext(ctx, "go", "build", "-o", *bin, "./cmd/galaxyctl")
		build.Stderr = os.Stderr
		if err := build.Run(); err != nil {
			fail(fmt.Errorf("go build ./cmd/galaxyctl (run from the repository root): %w", err))
		}
	}
	var rows []row
	for _, c := range combos() {
		if *only != "" && !strings.Contains(c.String(), *only) {
			continue
		}
		fmt.Fprintf(os.Stderr, "streammem: %s, %d streams\n", c, *n)
		r, err := measure(ctx, *bin, c, *n, *settle, *heartbeat)
		if err != nil {
			fail(fmt.Errorf("%s: %w", c, err))
		}
		rows = append(rows, r)
		if *jsonOut {
			b, _ := json.Marshal(r)
			fmt.Println(string(b))
		}
	}
	if !*jsonOut {
		if err := printTable(os.Stdout, rows); err != nil {
			fail(err)
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "streammem:", err)
	os.Exit(1)
}

func combos() []combo {
	var out []combo
	for _, tls := range []bool{false, true} {
		out = append(out, combo{"grpc", "proto", "2", tls})
		// gRPC with the JSON codec: routed to net/http, connect-go's gRPC.
		out = append(out, combo{"grpc", "json", "2", tls})
		for _, h := range []string{"1.1", "2"} {
			out = append(out, combo{"connect", "json", h, tls}, combo{"connect", "proto", h, tls}, combo{"grpc-web", "proto", h, tls})
		}
	}
	return out
}

// measure runs one combination against a fresh serve.
func measure(ctx context.Context, bin string, c combo, n int, settle, heartbeat time.Duration) (row, error) {
	srv, err := startServe(ctx, bin, c.TLS, heartbeat)
	if err != nil {
		return row{}, err
	}
	defer srv.stop()
	scrape := func() (report.ServerSample, error) {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		return probe.ScrapeServer(sctx, http.DefaultClient, "http://"+srv.metrics+"/metrics")
	}
	time.Sleep(time.Second) // let serve's start-up garbage go before the baseline
	before, err := scrape()
	if err != nil {
		return row{}, err
	}
	cl := &client{addr: srv.addr, c: c}
	start := time.Now()
	cl.open(ctx, n)
	ramp := time.Since(start)
	select {
	case <-time.After(settle):
	case <-ctx.Done():
		return row{}, ctx.Err()
	}
	after, err := scrape()
	if err != nil {
		return row{}, err
	}
	cl.close()
	r := row{combo: c, Streams: n, Failed: cl.failed.Load(), HeartbeatsSeen: cl.data.Load(), RampSeconds: ramp.Seconds(),
		ServerHeapBasis: after.HeapMetric}
	if e, ok := cl.firstErr.Load().(string); ok {
		r.FirstError = e
	}
	ok := float64(int64(n) - r.Failed)
	if ok > 0 {
		r.RSSPerStream = (after.RSS - before.RSS) / ok
		r.HeapPerStream = (after.Heap - before.Heap) / ok
		r.GoroutinesPer = (after.Goroutines - before.Goroutines) / ok
	}
	return r, nil
}

// serve is a running `galaxyctl serve` child.
type serve struct {
	cmd     *exec.Cmd
	addr    string
	metrics string
	done    chan struct{}
}

func startServe(ctx context.Context, bin string, useTLS bool, heartbeat time.Duration) (*serve, error) {
	dir, err := os.MkdirTemp("", "streammem-serve-")
	if err != nil {
		return nil, err
	}
	ready := filepath.Join(dir, "ready.json")
	args := []string{"serve", "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--ready-file", ready,
		"--heartbeat", heartbeat.String(), "--log-level", "warn"}
	if useTLS {
		args = append(args, "--tls-self-signed")
	}
	cmd := exec.Command(bin, args...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &serve{cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(s.done); _ = os.RemoveAll(dir) }()
	deadline := time.After(30 * time.Second)
	for {
		b, err := os.ReadFile(ready)
		if err == nil {
			var info struct {
				Addr    string `json:"grpc_addr"`
				Metrics string `json:"metrics_addr"`
			}
			if err := json.Unmarshal(b, &info); err != nil {
				s.stop()
				return nil, err
			}
			s.addr, s.metrics = info.Addr, info.Metrics
			return s, nil
		}
		select {
		case <-s.done:
			return nil, errors.New("serve exited before it was ready")
		case <-deadline:
			s.stop()
			return nil, errors.New("serve not ready within 30s")
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (s *serve) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

func printTable(w io.Writer, rows []row) error {
	var b strings.Builder
	b.WriteString("| protocol | codec | HTTP | TLS | RSS KiB/stream | heap KiB/stream | goroutines/stream | failed |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, r := range rows {
		tls := "no"
		if r.TLS {
			tls = "yes"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %.1f | %.1f | %.1f | %d |\n", r.Protocol, r.Codec, r.HTTP, tls,
			r.RSSPerStream/1024, r.HeapPerStream/1024, r.GoroutinesPer, r.Failed)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

package loadgen

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc"

	"galaxy/galaxyctl/internal/backoff"
)

// TestRunStreamNeverOpens checks that a stream the server never opens
// costs a client ConnectTimeout per attempt, counts DeadlineExceeded, and
// fails the client after MaxAttempts, so the ramp ends rather than waiting
// forever.
func TestRunStreamNeverOpens(t *testing.T) {
	t.Parallel()
	const (
		timeout  = 150 * time.Millisecond
		attempts = 2
	)
	for _, tc := range []struct {
		name           string
		gw             *stubGateway
		opts           []grpc.ServerOption
		clients        int
		streamsPerConn int
		wantConnected  int
	}{{
		// The server takes the stream but never sends its header.
		name:          "header withheld",
		gw:            &stubGateway{interval: testInterval, hold: func(user string) bool { return user == "bench-1" }},
		clients:       3,
		wantConnected: 2,
	}, {
		// The connection's only stream is taken: the second stream waits
		// for the server's stream quota, which never comes (the embedded
		// gateway's limit is 1024 streams per connection).
		name:           "stream limit reached",
		gw:             &stubGateway{interval: testInterval},
		opts:           []grpc.ServerOption{grpc.MaxConcurrentStreams(1)},
		clients:        2,
		streamsPerConn: 2,
		wantConnected:  1,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			addr, _ := serveStub(t, tc.gw, tc.opts...)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			cfg := Config{
				Addr:           addr,
				Clients:        tc.clients,
				StreamsPerConn: tc.streamsPerConn,
				Warmup:         -1,
				Duration:       20 * time.Millisecond,
				ConnectTimeout: timeout,
				ConnectBackoff: BackoffConfig{Config: backoff.Config{Base: time.Millisecond, Multiplier: 1, Max: time.Millisecond}, MaxAttempts: attempts},
			}
			start := time.Now()
			rep, err := Run(ctx, cfg)
			if err != nil {
				t.Fatalf("Run(%s) error = %v, want a report", tc.name, err)
			}
			wantFailed := tc.clients - tc.wantConnected
			if c := rep.Clients; c.Connected != tc.wantConnected || c.Failed != wantFailed || c.ConnectFailures != attempts {
				t.Errorf("Run(%s) clients connected %d failed %d connect failures %d, want %d %d %d",
					tc.name, c.Connected, c.Failed, c.ConnectFailures, tc.wantConnected, wantFailed, attempts)
			}
			if got := rep.Errors.Connect; len(got) != 1 || got["DeadlineExceeded"] != attempts {
				t.Errorf("Run(%s) connect errors = %v, want map[DeadlineExceeded:%d]", tc.name, got, attempts)
			}
			if !hasNote(rep, "1 of ") || !hasNote(rep, "no response header within 150ms") {
				t.Errorf("Run(%s) notes = %q, want one on the failed client and its timeout", tc.name, rep.Notes)
			}
			// Each attempt waits out the timeout, no more.
			if ramp := time.Duration(rep.Durations.RampMS * float64(time.Millisecond)); ramp < attempts*timeout || ramp > 2*time.Second {
				t.Errorf("Run(%s) ramp took %s, want between %s and 2s", tc.name, ramp, attempts*timeout)
			}
			t.Logf("Run(%s) took %s", tc.name, time.Since(start))
		})
	}
}

package loadgen

import (
	"errors"
	"io"
	"maps"
	"sync"
	"sync/atomic"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// tally counts how the clients fare: connected, failed and ended, the
// messages they received, and errors by gRPC code. Client goroutines write
// it; the run goroutine and snapshots read it.
type tally struct {
	clients int

	connected, failed, ended atomic.Int64
	// resolved counts clients connected or failed; allResolved closes when
	// every client is, which ends the ramp.
	resolved    atomic.Int64
	allResolved chan struct{}

	connectFailures atomic.Uint64
	heartbeats      atomic.Uint64
	otherMessages   atomic.Uint64

	mu                sync.Mutex
	connectErrs       map[string]uint64
	connectErrSamples map[string]string
	streamErrs        map[string]uint64
}

func newTally(clients int) *tally {
	return &tally{
		clients:           clients,
		allResolved:       make(chan struct{}),
		connectErrs:       make(map[string]uint64),
		connectErrSamples: make(map[string]string),
		streamErrs:        make(map[string]uint64),
	}
}

// codeName names an error's gRPC code; a clean end of stream is OK.
func codeName(err error) string {
	if errors.Is(err, io.EOF) {
		return codes.OK.String()
	}
	return status.Code(err).String()
}

// clientConnected counts a client whose stream opened.
func (t *tally) clientConnected() {
	t.connected.Add(1)
	t.resolve()
}

// clientFailed counts a client that gave up connecting.
func (t *tally) clientFailed() {
	t.failed.Add(1)
	t.resolve()
}

// resolve counts a client as connected or failed; the last one ends the
// ramp.
func (t *tally) resolve() {
	if t.resolved.Add(1) == int64(t.clients) {
		close(t.allResolved)
	}
}

// connectFailed counts a failed connect attempt and returns its code.
func (t *tally) connectFailed(err error) string {
	code := codeName(err)
	t.connectFailures.Add(1)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.connectErrs[code]++
	if _, ok := t.connectErrSamples[code]; !ok {
		t.connectErrSamples[code] = status.Convert(err).Message()
	}
	return code
}

// streamEnded counts a stream that ended before the run did and returns
// its code.
func (t *tally) streamEnded(err error) string {
	code := codeName(err)
	t.ended.Add(1)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.streamErrs[code]++
	return code
}

// errors copies the errors so far: connect and stream counts by code and
// a message per connect code.
func (t *tally) errors() (connect map[string]uint64, samples map[string]string, streams map[string]uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return maps.Clone(t.connectErrs), maps.Clone(t.connectErrSamples), maps.Clone(t.streamErrs)
}

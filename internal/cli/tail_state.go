package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// tailState is what one tail run learns on its way: how many records it
// printed (which --count counts) and events it received, whether a stream
// ever started, the last stream failure, how often the server dropped it,
// and the resume cursor.
type tailState struct {
	mu        sync.Mutex
	n         int
	want      int
	received  int
	cursor    string
	done      context.CancelFunc
	connected bool
	lastErr   error
	drops     int
	lastDrop  error
}

// printed counts one record printed and ends the run at --count.
func (s *tailState) printed() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	if s.want > 0 && s.n >= s.want {
		s.done()
	}
}

// receivedEvent counts an event received, printed or filtered out.
func (s *tailState) receivedEvent() {
	s.mu.Lock()
	s.received++
	s.mu.Unlock()
}

func (s *tailState) started() {
	s.mu.Lock()
	s.connected = true
	s.mu.Unlock()
}

// failed records a stream failure, and a drop for falling behind.
func (s *tailState) failed(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastErr = err
	if status.Code(err) == codes.ResourceExhausted {
		s.drops++
		s.lastDrop = err
	}
}

func (s *tailState) seen() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

func (s *tailState) setCursor(c string) {
	s.mu.Lock()
	s.cursor = c
	s.mu.Unlock()
}

func (s *tailState) lastCursor() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cursor
}

// wants says whether an event passes --user (the user's events and
// broadcasts, as the gateway filters) and --type.
func (o *tailOptions) wants(eventType, userID string) bool {
	if o.target == "backend" && o.user != "" && userID != "" && userID != o.user {
		return false
	}
	return o.typeFilter.match(eventType)
}

// logRetry is the one warning both tails log before a reconnect.
func (o *tailOptions) logRetry(err error, attempt int, delay time.Duration) {
	o.g.Logger().Warn("stream lost; reconnecting", zap.String("addr", o.client.addr),
		zap.String("error", describeRPCError(err).Error()), zap.Int("attempt", attempt+1), zap.Duration("backoff", delay))
}

// outcome is how a run ends, beyond runErr: a tail that never connected
// fails with the last connection error; one with events that failed
// --verify-key, or that the server dropped for falling behind, fails with
// a summary. Those stand even when Ctrl-C or --timeout ended the run.
func (o *tailOptions) outcome(st *tailState, p *eventPrinter, runErr error) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	var problems []string
	if runErr != nil {
		problems = append(problems, runErr.Error())
	} else if !st.connected && st.lastErr != nil {
		problems = append(problems, fmt.Sprintf("tail %s: never connected: %v", o.client.addr, describeRPCError(st.lastErr)))
	}
	if v := p.verify; v != nil && v.total > 0 {
		if v.failed() > 0 {
			problems = append(problems, v.summary())
		} else {
			o.g.say(zapcore.InfoLevel, v.summary(), zap.Int("events", v.total))
		}
	}
	if st.drops > 0 {
		problems = append(problems, fmt.Sprintf("dropped by the server %d %s for falling behind (last: %v); %d events received; events may be missing",
			st.drops, plural(st.drops, "time", "times"), describeRPCError(st.lastDrop), st.received))
	}
	switch {
	case len(problems) == 0:
		return nil
	case runErr != nil && len(problems) == 1:
		return runErr // as it came, status and all
	}
	return failed(errors.New(strings.Join(problems, "; ")))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

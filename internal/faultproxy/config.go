package faultproxy

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"time"

	"go.uber.org/zap"
)

// DefaultDialTimeout bounds the dial to the target for each accepted
// connection. Loopback dials either succeed or are refused at once, so it
// only matters when the target's accept queue is full.
const DefaultDialTimeout = 2 * time.Second

// Config is what Start needs. Target is required; every other field has a
// usable zero value.
type Config struct {
	// Target is the address connections are forwarded to: a literal
	// loopback IP and a port, such as "127.0.0.1:7070".
	Target string
	// Listen is where the proxy accepts connections; empty means
	// "127.0.0.1:0", a free port that Proxy.Addr reports.
	Listen string
	// DialTimeout bounds each dial to Target; 0 means DefaultDialTimeout.
	DialTimeout time.Duration
	// Sleep waits d or until ctx is done, returning ctx.Err() then; it
	// holds each chunk while a Delay is set. Nil means a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock RefuseFor measures against; nil means time.Now.
	Now func() time.Time
	// Logger receives accepts, refusals, cuts and dial failures; nil means
	// zap.NewNop().
	Logger *zap.Logger
}

func (c Config) withDefaults() (Config, error) {
	if c.Listen == "" {
		c.Listen = "127.0.0.1:0"
	}
	if err := checkLoopback("listen", c.Listen); err != nil {
		return c, err
	}
	if err := checkLoopback("target", c.Target); err != nil {
		return c, err
	}
	if c.DialTimeout < 0 {
		return c, fmt.Errorf("dial timeout is %v, want a positive duration or 0 for the default %v", c.DialTimeout, DefaultDialTimeout)
	}
	if c.DialTimeout == 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	if c.Sleep == nil {
		c.Sleep = sleep
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	return c, nil
}

// checkLoopback accepts only a literal loopback IP with a port. Host names,
// even "localhost", are refused: resolving them could yield another
// interface.
func checkLoopback(what, addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%s address %q: %w", what, addr, err)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.IsLoopback() {
		return fmt.Errorf("%s address %q is not loopback: want a literal 127.0.0.0/8 or ::1 address with a port, like 127.0.0.1:0", what, addr)
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

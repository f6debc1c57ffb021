package faultproxy

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// chunkSize is the most one read forwards at a time, and so the unit a
// Delay applies to.
const chunkSize = 32 << 10

// pair is one proxied connection: the accepted client side and the dialed
// target side, with a pump goroutine for each direction.
type pair struct {
	p        *Proxy
	id       uint64
	client   *net.TCPConn
	upstream *net.TCPConn
	target   string
	// holed makes both pumps drop what they read instead of forwarding it
	// and stop propagating closes, so each peer sees a live but silent
	// connection.
	holed atomic.Bool
	// ctx ends when the pair is aborted, releasing a pump held by a Delay.
	ctx       context.Context
	cancel    context.CancelFunc
	abortOnce sync.Once
}

func newPair(p *Proxy, client, upstream *net.TCPConn, target string) *pair {
	ctx, cancel := context.WithCancel(p.ctx)
	return &pair{p: p, client: client, upstream: upstream, target: target, ctx: ctx, cancel: cancel}
}

func (pc *pair) info() ConnInfo {
	return ConnInfo{ID: pc.id, Client: pc.client.RemoteAddr().String(), Target: pc.target}
}

// run pumps both directions and returns when both have ended, with both
// sockets closed.
func (pc *pair) run() {
	var wg sync.WaitGroup
	wg.Go(func() { pc.pump(pc.client, pc.upstream) })
	pc.pump(pc.upstream, pc.client)
	wg.Wait()
	pc.cancel()
	_ = pc.client.Close()
	_ = pc.upstream.Close()
}

// abort resets both sides at once; the pumps then fail and return.
func (pc *pair) abort() {
	pc.abortOnce.Do(func() {
		pc.cancel()
		resetConn(pc.client)
		resetConn(pc.upstream)
	})
}

// pump copies src to dst chunk by chunk. An orderly end (EOF) is passed on
// as a half-close, so protocols that half-close still work; any other
// failure resets both sides, as a broken path would. While the pair is
// black-holed nothing is written and no end is passed on: the side that
// is still up must keep seeing an open, silent connection.
func (pc *pair) pump(src, dst *net.TCPConn) {
	buf := make([]byte, chunkSize)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if d := pc.p.delay.Load(); d > 0 && !pc.holed.Load() {
				if pc.p.cfg.Sleep(pc.ctx, time.Duration(d)) != nil {
					pc.abort()
					return
				}
			}
			// Checked after the delay: a chunk still in flight when the
			// hole opens is lost with the rest.
			if pc.holed.Load() {
				pc.p.count(0, n)
			} else {
				if _, werr := dst.Write(buf[:n]); werr != nil {
					pc.abort()
					return
				}
				pc.p.count(n, 0)
			}
		}
		if err == nil {
			continue
		}
		switch {
		case pc.holed.Load():
		case errors.Is(err, io.EOF):
			_ = dst.CloseWrite()
		default:
			pc.abort()
		}
		return
	}
}

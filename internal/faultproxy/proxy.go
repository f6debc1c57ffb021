package faultproxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// Proxy forwards TCP connections from Addr to its target and injects faults
// on command. Its methods are safe for concurrent use.
type Proxy struct {
	cfg  Config
	ln   net.Listener
	log  *zap.Logger
	ctx  context.Context // cancelled by Close; parent of every pair's
	stop context.CancelFunc

	wg        sync.WaitGroup // the accept loop and every connection's goroutines
	closeOnce sync.Once
	done      chan struct{} // closed once Close has finished
	unwatch   func() bool   // detaches Close from the Start context

	delay atomic.Int64 // time.Duration held per chunk

	mu          sync.Mutex
	target      string
	pairs       map[uint64]*pair
	nextID      uint64
	refuse      bool
	refuseUntil time.Time
	changed     chan struct{} // closed and replaced whenever stats change
	stats       Stats
}

// Stats counts what a Proxy has done since Start.
type Stats struct {
	// Open is the number of proxied connections open now.
	Open int
	// Accepted counts connections accepted and forwarded (or attempted:
	// DialFailed are included).
	Accepted uint64
	// Refused counts connections closed at once because of Refuse or
	// RefuseFor.
	Refused uint64
	// DialFailed counts accepted connections closed because the target
	// could not be dialed.
	DialFailed uint64
	// Cut counts connections ended by CutAll or CutRandom.
	Cut uint64
	// Forwarded and Discarded count payload bytes delivered, and dropped by
	// a black hole, in both directions together.
	Forwarded, Discarded uint64
}

// ConnInfo identifies one proxied connection.
type ConnInfo struct {
	// ID numbers connections from 1 in the order they opened (their
	// target answered the dial).
	ID uint64
	// Client is the remote address of the accepted connection: the local
	// address the client sees for its own socket.
	Client string
	// Target is the address this connection was forwarded to.
	Target string
}

// Start listens on cfg.Listen and forwards every accepted connection to
// cfg.Target until Close is called or ctx ends.
func Start(ctx context.Context, cfg Config) (*Proxy, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("faultproxy: %w", err)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("faultproxy: listen %s: %w", cfg.Listen, err)
	}
	// The listener's context only governs Listen itself; the proxy's own
	// lifetime is detached from ctx's values but not from its end.
	pctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	p := &Proxy{
		cfg:     cfg,
		ln:      ln,
		log:     cfg.Logger.With(zap.String("proxy", ln.Addr().String())),
		ctx:     pctx,
		stop:    stop,
		done:    make(chan struct{}),
		target:  cfg.Target,
		pairs:   make(map[uint64]*pair),
		changed: make(chan struct{}),
	}
	p.unwatch = context.AfterFunc(ctx, func() { _ = p.Close() })
	p.wg.Add(1)
	go p.acceptLoop()
	return p, nil
}

// Addr is the address the proxy listens on, for clients to dial.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Target is the address new connections are forwarded to.
func (p *Proxy) Target() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.target
}

// SetTarget forwards connections accepted from now on to addr, which must
// be a literal loopback address; open connections keep their target. It is
// how a test moves clients to a restarted server without their knowing.
func (p *Proxy) SetTarget(addr string) error {
	if err := checkLoopback("target", addr); err != nil {
		return fmt.Errorf("faultproxy: %w", err)
	}
	p.mu.Lock()
	p.target = addr
	p.mu.Unlock()
	return nil
}

// Done is closed once the proxy has stopped, by Close or by the end of the
// context given to Start.
func (p *Proxy) Done() <-chan struct{} { return p.done }

// Close stops accepting, resets every open connection and waits for every
// goroutine of the proxy to exit. It is idempotent; later calls wait too.
func (p *Proxy) Close() error {
	var err error
	p.closeOnce.Do(func() {
		p.unwatch()
		p.stop()
		if cerr := p.ln.Close(); cerr != nil && !errors.Is(cerr, net.ErrClosed) {
			err = fmt.Errorf("faultproxy: close listener: %w", cerr)
		}
		p.mu.Lock()
		for _, pc := range p.pairs {
			pc.abort()
		}
		p.mu.Unlock()
		p.wg.Wait()
		close(p.done)
		p.log.Debug("proxy closed")
	})
	<-p.done
	return err
}

// Conns is the number of proxied connections open now, black-holed ones
// included.
func (p *Proxy) Conns() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.pairs)
}

// Stats returns the proxy's counters.
func (p *Proxy) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	s.Open = len(p.pairs)
	return s
}

// WaitConns waits until exactly n proxied connections are open, or ctx
// ends.
func (p *Proxy) WaitConns(ctx context.Context, n int) error {
	err := p.Wait(ctx, func(s Stats) bool { return s.Open == n })
	if err != nil {
		return fmt.Errorf("faultproxy: wait for %d open connections (have %d): %w", n, p.Conns(), err)
	}
	return nil
}

// Wait waits until cond holds for the proxy's Stats, or ctx ends. cond is
// checked after every change, so a test can wait for "the bytes were
// dropped" or "three connections were refused" without polling.
func (p *Proxy) Wait(ctx context.Context, cond func(Stats) bool) error {
	for {
		p.mu.Lock()
		s, changed := p.stats, p.changed
		s.Open = len(p.pairs)
		p.mu.Unlock()
		if cond(s) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
		}
	}
}

// notifyLocked wakes every Wait.
func (p *Proxy) notifyLocked() {
	close(p.changed)
	p.changed = make(chan struct{})
}

func (p *Proxy) acceptLoop() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			if p.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: back off briefly
			// rather than spin.
			p.log.Warn("accept failed", zap.Error(err))
			if p.cfg.Sleep(p.ctx, 5*time.Millisecond) != nil {
				return
			}
			continue
		}
		client := c.(*net.TCPConn)
		if p.refusing() {
			resetConn(client)
			p.mu.Lock()
			p.stats.Refused++
			p.notifyLocked()
			p.mu.Unlock()
			p.log.Debug("refused", zap.Stringer("client", client.RemoteAddr()))
			continue
		}
		p.wg.Add(1)
		go p.serve(client)
	}
}

// serve dials the target for one accepted connection and forwards between
// the two until either side ends or the pair is cut.
func (p *Proxy) serve(client *net.TCPConn) {
	defer p.wg.Done()
	p.mu.Lock()
	target := p.target
	p.stats.Accepted++
	p.notifyLocked()
	p.mu.Unlock()

	d := net.Dialer{Timeout: p.cfg.DialTimeout}
	c, err := d.DialContext(p.ctx, "tcp", target)
	if err != nil {
		resetConn(client)
		p.mu.Lock()
		p.stats.DialFailed++
		p.notifyLocked()
		p.mu.Unlock()
		p.log.Debug("dial target failed", zap.String("target", target), zap.Error(err))
		return
	}
	upstream := c.(*net.TCPConn)

	pc := newPair(p, client, upstream, target)
	p.mu.Lock()
	if p.ctx.Err() != nil {
		// Close ran between the dial and now and will not see this pair.
		p.mu.Unlock()
		pc.abort()
		return
	}
	p.nextID++
	pc.id = p.nextID
	p.pairs[pc.id] = pc
	p.notifyLocked()
	p.mu.Unlock()
	p.log.Debug("forwarding", zap.Uint64("conn", pc.id), zap.Stringer("client", client.RemoteAddr()), zap.String("target", target))

	pc.run()

	p.mu.Lock()
	delete(p.pairs, pc.id)
	p.notifyLocked()
	p.mu.Unlock()
	p.log.Debug("connection ended", zap.Uint64("conn", pc.id))
}

func (p *Proxy) refusing() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.refuse || p.cfg.Now().Before(p.refuseUntil)
}

func (p *Proxy) count(forwarded, discarded int) {
	p.mu.Lock()
	p.stats.Forwarded += uint64(forwarded)
	p.stats.Discarded += uint64(discarded)
	p.notifyLocked()
	p.mu.Unlock()
}

// resetConn closes c with a TCP reset rather than an orderly FIN, as a
// crashed peer or a middlebox dropping state would.
func resetConn(c *net.TCPConn) {
	_ = c.SetLinger(0)
	_ = c.Close()
}

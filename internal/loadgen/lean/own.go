package lean

import "io"

// ownReadBuf is the read buffer of a connection served by a goroutine of
// its own: heartbeats are a few dozen bytes, and a larger read only takes
// more passes.
const ownReadBuf = 512

// serveOwn serves c from a goroutine of its own: the driver of systems
// without an event loop, and of connections without a file descriptor.
func (e *Engine) serveOwn(c *Conn) {
	e.mu.Lock()
	if e.closed.Load() {
		e.mu.Unlock()
		c.mu.Lock()
		c.fail(errClosed, false)
		c.mu.Unlock()
		return
	}
	e.conns[c] = struct{}{}
	e.wg.Add(1)
	e.mu.Unlock()
	go c.serveOwn()
}

func (c *Conn) serveOwn() {
	defer c.e.wg.Done()
	buf := make([]byte, ownReadBuf)
	var r io.Reader = &c.sock
	if c.tc != nil {
		r = c.tc
	}
	for {
		n, err := r.Read(buf)
		c.mu.Lock()
		if n > 0 && !c.done {
			p := c.e.getProc()
			p.now = c.e.cfg.Now()
			if c.tc != nil {
				c.sock.meter.PlainRead(buf[:n])
			}
			ferr := c.sess.feed(c, p, buf[:n])
			if ferr == nil {
				ferr = c.flush(p)
			}
			if ferr != nil {
				c.fail(ferr, true)
			}
			c.e.putProc(p)
		}
		if err != nil {
			c.fail(err, true)
		}
		done := c.done
		c.mu.Unlock()
		if done {
			return
		}
	}
}

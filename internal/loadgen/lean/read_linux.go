//go:build linux

package lean

import "errors"

// received processes bytes read from the socket, which the loop has
// already reported to the meter.
func (c *Conn) received(p *proc, raw, plain []byte) {
	var err error
	if c.tc == nil {
		err = c.sess.feed(c, p, raw)
	} else {
		c.sock.pending = raw
		err = c.readTLS(p, plain)
		c.sock.pending = nil
	}
	if err == nil {
		err = c.flush(p)
	}
	if err != nil {
		c.fail(err, true)
	}
}

// readTLS decrypts what the socket delivered (and anything the TLS
// connection already held) and feeds the plaintext to the session.
func (c *Conn) readTLS(p *proc, buf []byte) error {
	for {
		n, err := c.tc.Read(buf)
		if n > 0 {
			c.sock.meter.PlainRead(buf[:n])
			if ferr := c.sess.feed(c, p, buf[:n]); ferr != nil {
				return ferr
			}
		}
		if errors.Is(err, errWouldBlock) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

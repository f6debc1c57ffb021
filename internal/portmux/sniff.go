package portmux

import (
	"errors"
	"io"
	"mime"
	"net"
	"os"
	"strings"
	"time"

	"golang.org/x/net/http2"
)

const clientPreface = http2.ClientPreface

// source is where the router looks at a connection's first bytes: a peek
// at the socket's receive queue, or reads that are replayed later.
type source interface {
	// more waits until bytes beyond those it returned last arrive, or until
	// deadline, and returns every byte seen so far.
	more(deadline time.Time) ([]byte, error)
	// full reports that more cannot return any longer slice.
	full() bool
	// handover returns the connection a server should read: c itself when
	// nothing was consumed, else c with what was read replayed first. It
	// also returns pooled buffers; the source is done after it.
	handover(c net.Conn) net.Conn
}

// sniffResult is what the first bytes said.
type sniffResult struct {
	h2          bool   // the HTTP/2 client preface (else HTTP/1.x)
	contentType string // of the first HEADERS, when h2 and decoded
	nudged      bool   // the router sent its own SETTINGS
}

// sniff reads from src until it knows whether c speaks HTTP/2 and, if so,
// the content-type of its first request. A first request it cannot decode
// (malformed, or larger than the router looks) is left to net/http, which
// refuses it by its own rules; only timeouts and read errors are errors.
func (r *Router) sniff(c net.Conn, src source, deadline time.Time) (sniffResult, error) {
	var res sniffResult
	var nudgeAt time.Time // when the client's SETTINGS wait for ours
	var h2 *h2Sniffer
	for {
		wait := deadline
		if !res.nudged && !nudgeAt.IsZero() && nudgeAt.Before(deadline) {
			wait = nudgeAt
		}
		b, err := src.more(wait)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) && wait.Before(deadline) {
				res.nudged = true
				if err := writeSettings(c, deadline); err != nil {
					return res, err
				}
				continue
			}
			return res, err
		}
		if !isHTTP2(b) {
			return res, nil // HTTP/1.x, or something net/http will refuse
		}
		if len(b) < len(clientPreface) {
			continue
		}
		res.h2 = true
		if h2 == nil {
			h2 = newH2Sniffer(r.cfg.MaxHeaderBytes)
		}
		ct, err := h2.feed(b[len(clientPreface):])
		switch {
		case err == nil:
			res.contentType = ct
			return res, nil
		case !errors.Is(err, errNeedMore), src.full():
			return res, nil
		case h2.gotSettings && !h2.inBlock && nudgeAt.IsZero():
			nudgeAt = time.Now().Add(r.cfg.SettingsDelay)
		}
	}
}

// writeSettings sends an empty SETTINGS frame: the server preface a
// waiting client needs before it sends its first request.
func writeSettings(c net.Conn, deadline time.Time) error {
	_ = c.SetWriteDeadline(deadline)
	return http2.NewFramer(c, nil).WriteSettings()
}

// isGRPC reports whether a request of content type ct is native gRPC with
// the proto codec, the one grpc-go serves. application/grpc+json and the
// like go to net/http, whose connect-go has the codec.
func isGRPC(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/grpc" || mt == "application/grpc+proto"
}

// reader is the source that reads and replays: for TLS, and where peeking
// is not available.
type reader struct {
	c   net.Conn
	buf []byte
	max int
}

func newReader(c net.Conn, maxHeaderBytes int) *reader {
	return &reader{c: c, buf: make([]byte, 0, 4<<10), max: sniffLimit(maxHeaderBytes)}
}

// sniffLimit is the most bytes the router looks at: a header block of
// maxHeaderBytes and the frames a client sends before it.
func sniffLimit(maxHeaderBytes int) int { return maxHeaderBytes + 16<<10 }

func (s *reader) more(deadline time.Time) ([]byte, error) {
	if len(s.buf) == cap(s.buf) {
		s.buf = append(s.buf, make([]byte, min(cap(s.buf), s.max-len(s.buf)))...)[:len(s.buf)]
	}
	_ = s.c.SetReadDeadline(deadline)
	n, err := s.c.Read(s.buf[len(s.buf):cap(s.buf)])
	s.buf = s.buf[:len(s.buf)+n]
	if n > 0 {
		return s.buf, nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return s.buf, err
}

func (s *reader) full() bool { return len(s.buf) >= s.max }

func (s *reader) handover(c net.Conn) net.Conn {
	if len(s.buf) == 0 {
		return c
	}
	return &replayConn{Conn: c, buf: s.buf}
}

// replayConn reads what the router read, then the connection.
type replayConn struct {
	net.Conn
	buf []byte
}

func (c *replayConn) Read(p []byte) (int, error) {
	if len(c.buf) == 0 {
		return c.Conn.Read(p)
	}
	n := copy(p, c.buf)
	c.buf = c.buf[n:]
	if len(c.buf) == 0 {
		c.buf = nil // the server holds the connection for long; let it go
	}
	return n, nil
}

// NetConn returns the connection under the replay, as tls.Conn does.
func (c *replayConn) NetConn() net.Conn { return c.Conn }

// isHTTP2 reports whether b, the start of a connection, is the HTTP/2
// client preface so far.
func isHTTP2(b []byte) bool {
	n := min(len(b), len(clientPreface))
	return strings.HasPrefix(clientPreface, string(b[:n]))
}

package lean

import (
	"bufio"
	"bytes"
	"net/textproto"
	"strconv"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"galaxy/galaxyctl/internal/loadgen/wire"
)

// maxResponseHead bounds the response head a server may make a client
// hold.
const maxResponseHead = 64 << 10

// h1State is where an HTTP/1.1 response is.
type h1State uint8

const (
	h1Idle      h1State = iota // no request yet, or the stream ended
	h1Head                     // the status line and header fields
	h1ChunkSize                // a chunk-size line
	h1ChunkData                // chunk data
	h1ChunkEnd                 // the CRLF after chunk data
	h1Trailers                 // trailer fields after the last chunk
	h1Body                     // a Content-Length body, or one until the close
)

// h1sess is the client side of an HTTP/1.1 connection: one request (with
// Content-Length) and its streamed response, chunked as servers send an
// unknown length.
type h1sess struct {
	cfg   *Config
	reqs  *requests
	st    *stream
	state h1State
	head  []byte // the response head so far
	line  []byte // a chunk-size or trailer line so far
	left  int64  // bytes of the chunk, or the body, still to come; -1: until the close
	used  bool   // a request was sent: one per connection
}

func (s *h1sess) start(*Conn, *proc) {}

func (s *h1sess) open(c *Conn, p *proc, st *stream, body []byte) {
	switch {
	case c.done:
		st.report(status.Error(codes.Unavailable, "connection closed"))
		return
	case s.used:
		st.report(status.Error(codes.Unimplemented, "HTTP/1.1 carries one stream per connection"))
		return
	}
	s.used, s.st, s.state = true, st, h1Head
	p.out.Write(s.reqs.http1(body))
}

// cancel gives up the request: HTTP/1.1 cannot, short of closing.
func (s *h1sess) cancel(c *Conn, _ *proc, st *stream) {
	if s.st == st {
		s.st, st.opened = nil, nil
		c.fail(errClosed, false)
	}
}

func (s *h1sess) fail(_ *Conn, err error, report bool) {
	st := s.st
	s.st, s.state, s.head, s.line = nil, h1Idle, nil, nil
	if st == nil {
		return
	}
	if st.opened != nil {
		st.report(openErr(err))
	} else if report {
		s.cfg.Events.End(int(st.client), err)
	}
}

// end ends the stream with err, reported; the connection stays open
// until the server or the engine closes it.
func (s *h1sess) end(c *Conn, err error) {
	st := s.st
	s.st, s.state = nil, h1Idle
	c.dead.Store(true)
	if st.opened != nil {
		st.report(openErr(err))
		return
	}
	s.cfg.Events.End(int(st.client), err)
}

func (s *h1sess) feed(c *Conn, p *proc, b []byte) error {
	for len(b) > 0 && s.st != nil {
		var err error
		switch s.state {
		case h1Head:
			b, err = s.readHead(c, b)
		case h1ChunkSize, h1Trailers:
			b, err = s.readLine(c, b)
		case h1ChunkData, h1Body:
			n := len(b)
			if s.left >= 0 {
				n = int(min(s.left, int64(n)))
				s.left -= int64(n)
			}
			s.body(c, p, b[:n])
			b = b[n:]
			if s.left == 0 && s.st != nil {
				s.endBody(c)
			}
		case h1ChunkEnd:
			n := int(min(s.left, int64(len(b))))
			s.left -= int64(n)
			b = b[n:]
			if s.left == 0 {
				s.state = h1ChunkSize
			}
		default:
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// body splits body bytes into envelopes.
func (s *h1sess) body(c *Conn, p *proc, b []byte) {
	for len(b) > 0 && s.st != nil {
		var flags byte
		var m []byte
		var ok bool
		if b, flags, m, ok = s.st.env.next(b); !ok {
			return
		}
		if wire.IsEndStream(flags) {
			s.end(c, endStatus(flags, m))
			return
		}
		s.cfg.Events.Message(int(s.st.client), flags == 0 && m != nil && wire.IsHeartbeat(m), p.now)
	}
}

func (s *h1sess) endBody(c *Conn) {
	if s.state == h1ChunkData {
		s.state, s.left = h1ChunkEnd, wire.CRLFLen
		return
	}
	s.end(c, s.missingEnd())
}

func (s *h1sess) missingEnd() error {
	if s.cfg.Protocol == ProtocolGRPCWeb {
		return status.Error(codes.Internal, "grpc-web: response ended without trailers")
	}
	return status.Error(codes.Internal, "connect: response ended without an end-of-stream message")
}

// readHead collects the response head, then parses it.
func (s *h1sess) readHead(c *Conn, b []byte) ([]byte, error) {
	start := max(len(s.head)-3, 0)
	s.head = append(s.head, b...)
	i := bytes.Index(s.head[start:], []byte("\r\n\r\n"))
	if i < 0 {
		if len(s.head) > maxResponseHead {
			return nil, status.Errorf(codes.Internal, "http/1.1: response head over %d bytes", maxResponseHead)
		}
		return nil, nil
	}
	end := start + i + 4
	rest := b[len(b)-(len(s.head)-end):]
	head := s.head[:end]
	s.head = nil
	return rest, s.parseHead(c, head)
}

func (s *h1sess) parseHead(c *Conn, head []byte) error {
	tp := textproto.NewReader(bufio.NewReader(bytes.NewReader(head)))
	line, err := tp.ReadLine()
	if err != nil {
		return status.Errorf(codes.Internal, "http/1.1: %v", err)
	}
	proto, rest, _ := strings.Cut(line, " ")
	code, err := strconv.Atoi(strings.SplitN(rest, " ", 2)[0])
	if !strings.HasPrefix(proto, "HTTP/1.") || err != nil {
		return status.Errorf(codes.Internal, "http/1.1: bad status line %q", line)
	}
	hdr, err := tp.ReadMIMEHeader()
	if err != nil {
		return status.Errorf(codes.Internal, "http/1.1: %v", err)
	}
	ct := hdr.Get("Content-Type")
	switch {
	case code >= 100 && code < 200:
		return nil // an interim response: the real head follows
	case code != 200:
		s.end(c, httpStatusError(code, ct))
		return nil
	case hdr.Get("Grpc-Status") != "": // gRPC-Web trailers-only
		t := map[string]string{"grpc-status": hdr.Get("Grpc-Status"), "grpc-message": hdr.Get("Grpc-Message")}
		s.end(c, trailerStatus(t, "trailers-only response"))
		return nil
	case !strings.HasPrefix(ct, s.expectedType()):
		s.end(c, status.Errorf(codes.Internal, "unexpected content-type %q", ct))
		return nil
	}
	s.st.headers = true
	s.st.report(nil)
	switch {
	case strings.Contains(strings.ToLower(hdr.Get("Transfer-Encoding")), "chunked"):
		s.state = h1ChunkSize
	case hdr.Get("Content-Length") != "":
		n, err := strconv.ParseInt(hdr.Get("Content-Length"), 10, 64)
		if err != nil || n < 0 {
			return status.Errorf(codes.Internal, "http/1.1: bad Content-Length %q", hdr.Get("Content-Length"))
		}
		s.state, s.left = h1Body, n
		if n == 0 {
			s.end(c, s.missingEnd())
		}
	default:
		s.state, s.left = h1Body, -1
	}
	return nil
}

func (s *h1sess) expectedType() string {
	if s.cfg.Protocol == ProtocolGRPCWeb {
		return "application/grpc-web"
	}
	return "application/connect"
}

// readLine collects a chunk-size or trailer line, then acts on it.
func (s *h1sess) readLine(c *Conn, b []byte) ([]byte, error) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		s.line = append(s.line, b...)
		if len(s.line) > maxResponseHead {
			return nil, status.Error(codes.Internal, "http/1.1: chunk line too long")
		}
		return nil, nil
	}
	line := b[:i]
	if len(s.line) > 0 {
		line = append(s.line, line...)
		s.line = nil
	}
	line = bytes.TrimRight(line, "\r")
	rest := b[i+1:]
	if s.state == h1Trailers {
		if len(line) == 0 {
			s.end(c, s.missingEnd()) // the last chunk came before the end
		}
		return rest, nil
	}
	size, ok := wire.ParseChunkSize(line)
	switch {
	case !ok:
		return nil, status.Errorf(codes.Internal, "http/1.1: bad chunk size %q", line)
	case size == 0:
		s.state = h1Trailers
	default:
		s.state, s.left = h1ChunkData, size
	}
	return rest, nil
}

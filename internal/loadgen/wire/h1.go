package wire

import "bytes"

// HTTP/1.1 framing sizes (RFC 9112 §7.1).
const (
	// CRLFLen is a line ending.
	CRLFLen = 2
	// LastChunkLen is the last chunk with no trailers: "0\r\n\r\n".
	LastChunkLen = 5
)

// ChunkFramingLen is what chunked transfer coding adds to a chunk of n
// bytes: the size in hex, a CRLF, and the CRLF after the data. A 24-byte
// envelope ("18\r\n" ... "\r\n") costs 6.
func ChunkFramingLen(n int) int {
	digits := 1
	for v := n >> 4; v > 0; v >>= 4 {
		digits++
	}
	return digits + 2*CRLFLen
}

// H1Stats counts one direction of an HTTP/1.1 connection. Every byte fed
// is in Bytes and, once consumed, in exactly one of Head (request or
// status line and header fields, with their CRLFs), ChunkFraming (chunk
// size lines, the CRLF after each chunk's data, the last chunk and the
// trailer section) or Body (chunk data, or a Content-Length body), so
// Residual is 0 unless the decoder gave up (Undecoded). The body of a
// request, and of a 200 response, is decoded as envelopes (MsgStats).
type H1Stats struct {
	Bytes        uint64 `json:"bytes"`
	Heads        uint64 `json:"heads"`
	Head         uint64 `json:"head"`
	Chunks       uint64 `json:"chunks"` // data chunks, the last chunk not included
	ChunkFraming uint64 `json:"chunk_framing"`
	Body         uint64 `json:"body"`
	MsgStats
	Undecoded uint64 `json:"undecoded"`
}

// Decoded is the bytes attributed to a head, chunk framing or a body.
func (s *H1Stats) Decoded() uint64 { return s.Head + s.ChunkFraming + s.Body }

// Residual is Bytes minus Decoded.
func (s *H1Stats) Residual() int64 { return int64(s.Bytes) - int64(s.Decoded()) }

// Add adds o to s.
func (s *H1Stats) Add(o *H1Stats) {
	s.Bytes += o.Bytes
	s.Heads += o.Heads
	s.Head += o.Head
	s.Chunks += o.Chunks
	s.ChunkFraming += o.ChunkFraming
	s.Body += o.Body
	s.MsgStats.Add(&o.MsgStats)
	s.Undecoded += o.Undecoded
}

// Sub returns s minus o.
func (s H1Stats) Sub(o *H1Stats) H1Stats {
	s.Bytes -= o.Bytes
	s.Heads -= o.Heads
	s.Head -= o.Head
	s.Chunks -= o.Chunks
	s.ChunkFraming -= o.ChunkFraming
	s.Body -= o.Body
	s.MsgStats.Sub(&o.MsgStats)
	s.Undecoded -= o.Undecoded
	return s
}

// h1State is where an H1Decoder is in a message.
type h1State uint8

const (
	h1Head      h1State = iota // a request/status line or header field
	h1ChunkSize                // a chunk-size line
	h1ChunkData                // chunk data
	h1ChunkEnd                 // the CRLF after chunk data
	h1Trailers                 // trailer fields after the last chunk
	h1Length                   // a Content-Length body
	h1UntilEOF                 // a response body delimited by the close
)

// lineKeep is how much of a line is kept to be parsed: enough for the
// header fields the decoder reads (Content-Length, Transfer-Encoding) and
// a chunk size.
const lineKeep = 48

// H1Decoder decodes one direction of an HTTP/1.1 connection (several
// messages in a row, as on a kept-alive connection) into an H1Stats.
type H1Decoder struct {
	stats  *H1Stats
	broken bool
	state  h1State

	line  [lineKeep]byte
	lineN int
	first bool // the next head line is the start line

	status    int // of the response being read; 0 for a request
	response  bool
	chunked   bool
	length    int64 // Content-Length, -1 when absent
	left      int64 // bytes of the chunk or body still to come
	enveloped bool  // the body is decoded as envelopes
	msg       msgState
}

// NewH1Decoder returns a decoder that adds to stats. response is true for
// the bytes a client reads.
func NewH1Decoder(stats *H1Stats, response bool) *H1Decoder {
	d := &H1Decoder{stats: stats, response: response}
	d.startMessage()
	return d
}

func (d *H1Decoder) startMessage() {
	d.state, d.first = h1Head, true
	d.status, d.chunked, d.length = 0, false, -1
	d.msg.reset()
}

// Feed decodes the next bytes of the direction.
func (d *H1Decoder) Feed(p []byte) {
	s := d.stats
	s.Bytes += uint64(len(p))
	for len(p) > 0 && !d.broken {
		switch d.state {
		case h1Head, h1ChunkSize, h1Trailers:
			p = d.lineBytes(p)
		case h1ChunkData, h1Length:
			n := int(min(d.left, int64(len(p))))
			d.body(p[:n])
			d.left -= int64(n)
			p = p[n:]
			if d.left == 0 {
				d.endBody()
			}
		case h1ChunkEnd:
			n := int(min(d.left, int64(len(p))))
			s.ChunkFraming += uint64(n)
			d.left -= int64(n)
			p = p[n:]
			if d.left == 0 {
				d.state = h1ChunkSize
			}
		case h1UntilEOF:
			d.body(p)
			p = nil
		}
	}
	if d.broken {
		s.Undecoded += uint64(len(p))
	}
}

func (d *H1Decoder) body(b []byte) {
	d.stats.Body += uint64(len(b))
	if d.enveloped {
		d.msg.feed(b, &d.stats.MsgStats)
	}
}

// endBody follows the end of a chunk's data or of a Content-Length body.
func (d *H1Decoder) endBody() {
	if d.state == h1ChunkData {
		d.state, d.left = h1ChunkEnd, CRLFLen
		return
	}
	d.startMessage()
}

// lineBytes consumes bytes of a line, attributing each as it goes, and
// parses the line at its LF.
func (d *H1Decoder) lineBytes(p []byte) []byte {
	i := bytes.IndexByte(p, '\n')
	n := len(p)
	if i >= 0 {
		n = i + 1
	}
	if d.lineN < lineKeep {
		d.lineN += copy(d.line[d.lineN:], p[:n])
	}
	if d.state == h1Head {
		d.stats.Head += uint64(n)
	} else {
		d.stats.ChunkFraming += uint64(n)
	}
	if i >= 0 {
		line := d.line[:min(d.lineN, lineKeep)]
		d.lineN = 0
		d.endLine(bytes.TrimRight(line, "\r\n"))
	}
	return p[n:]
}

func (d *H1Decoder) endLine(line []byte) {
	switch d.state {
	case h1Head:
		d.headLine(line)
	case h1ChunkSize:
		size, ok := ParseChunkSize(line)
		switch {
		case !ok:
			d.broken = true
		case size == 0:
			d.state = h1Trailers
		default:
			d.stats.Chunks++
			d.state, d.left = h1ChunkData, size
		}
	case h1Trailers:
		if len(line) == 0 {
			d.startMessage()
		}
	}
}

func (d *H1Decoder) headLine(line []byte) {
	if d.first {
		d.first = false
		d.stats.Heads++
		d.startLine(line)
		return
	}
	if len(line) > 0 {
		d.field(line)
		return
	}
	// The blank line ends the head.
	if d.response && d.status >= 100 && d.status < 200 {
		d.startMessage() // an interim response; the real one follows
		return
	}
	d.enveloped = !d.response || d.status == 200
	switch {
	case d.chunked:
		d.state = h1ChunkSize
	case d.length > 0:
		d.state, d.left = h1Length, d.length
	case d.length == 0 || !d.response:
		d.startMessage()
	default:
		d.state = h1UntilEOF
	}
}

// startLine reads a status line's code; a request line has none.
func (d *H1Decoder) startLine(line []byte) {
	if !d.response {
		return
	}
	if !bytes.HasPrefix(line, []byte("HTTP/1.")) || len(line) < 12 {
		d.broken = true
		return
	}
	code := 0
	for _, c := range line[9:12] {
		if c < '0' || c > '9' {
			d.broken = true
			return
		}
		code = code*10 + int(c-'0')
	}
	d.status = code
}

// field reads the header fields that decide how the body is framed.
func (d *H1Decoder) field(line []byte) {
	name, value, ok := bytes.Cut(line, []byte(":"))
	if !ok {
		return
	}
	value = bytes.TrimSpace(value)
	switch {
	case bytes.EqualFold(name, []byte("transfer-encoding")):
		d.chunked = bytes.Contains(bytes.ToLower(value), []byte("chunked"))
	case bytes.EqualFold(name, []byte("content-length")):
		n, ok := parseDecimal(value)
		if !ok {
			d.broken = true
			return
		}
		d.length = n
	}
}

func parseDecimal(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// ParseChunkSize reads a chunk-size line without its CRLF: hex digits,
// then optional extensions after ';'.
func ParseChunkSize(line []byte) (int64, bool) {
	if i := bytes.IndexByte(line, ';'); i >= 0 {
		line = line[:i]
	}
	line = bytes.TrimSpace(line)
	if len(line) == 0 || len(line) > 15 {
		return 0, false
	}
	var n int64
	for _, c := range line {
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			v = c - 'A' + 10
		default:
			return 0, false
		}
		n = n<<4 | int64(v)
	}
	return n, true
}

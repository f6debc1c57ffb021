package lean

import (
	"bytes"
	"io"
	"time"

	"golang.org/x/net/http2"
)

// proc is what decodes and encodes frames for the connections of one
// goroutine: one http2.Framer reading from one connection's complete
// frames at a time, and the replies to write.
type proc struct {
	fr   *http2.Framer
	rd   sliceReader
	out  bytes.Buffer
	cuts []int // ends of write units in out, besides its end
	now  time.Time
	hdr  bytes.Buffer // scratch for header blocks
}

func newProc() *proc {
	p := &proc{}
	p.fr = http2.NewFramer(&p.out, &p.rd)
	p.fr.SetReuseFrames()
	return p
}

// sliceReader reads one connection's complete frames for the Framer.
type sliceReader struct{ b []byte }

func (r *sliceReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

func (p *proc) reset() {
	p.out.Reset()
	p.cuts = p.cuts[:0]
}

// cut ends a write unit: what follows goes in a write of its own.
func (p *proc) cut() { p.cuts = append(p.cuts, p.out.Len()) }

// errWouldBlock is what sockConn returns when it has no more bytes: a
// temporary net.Error, which crypto/tls does not make permanent, so the
// TLS connection waits for the next read with a partial record kept.
var errWouldBlock = wouldBlock{}

type wouldBlock struct{}

func (wouldBlock) Error() string   { return "would block" }
func (wouldBlock) Timeout() bool   { return true }
func (wouldBlock) Temporary() bool { return true }

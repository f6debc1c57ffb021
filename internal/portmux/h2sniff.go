package portmux

import (
	"errors"
	"io"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// errNeedMore says the bytes so far end before the first header block does.
var errNeedMore = errors.New("need more bytes")

// maxFrameBytes is the largest frame a client may send before it has the
// server's SETTINGS (RFC 9113 §4.2), and the router advertises nothing else.
const maxFrameBytes = 16 << 10

// h2Sniffer finds the content-type of a connection's first request in the
// frames after the client preface. It is fed the bytes seen so far each
// time more arrive, and decodes each complete frame once, with one framer
// and one HPACK decoder per connection: the router's garbage per accepted
// connection is about a kilobyte.
type h2Sniffer struct {
	in  frameReader
	fr  *http2.Framer
	dec *hpack.Decoder
	off int // bytes of complete frames decoded so far

	inBlock     bool // a HEADERS without END_HEADERS was read
	gotSettings bool // the client's SETTINGS was read
	contentType string
}

// newH2Sniffer returns a sniffer that refuses a header string longer than
// maxHeaderBytes, as the servers do. A header list over the limit is still
// decoded, so the request goes to the stack its content type names, which
// refuses it as that stack does (the router reads at most
// sniffLimit(maxHeaderBytes) bytes, which bounds the work).
func newH2Sniffer(maxHeaderBytes int) *h2Sniffer {
	s := &h2Sniffer{}
	s.fr = http2.NewFramer(io.Discard, &s.in)
	s.fr.SetMaxReadFrameSize(maxFrameBytes)
	s.dec = hpack.NewDecoder(4096, s.emit)
	s.dec.SetMaxStringLength(maxHeaderBytes)
	return s
}

// emit keeps the content-type.
func (s *h2Sniffer) emit(f hpack.HeaderField) {
	if f.Name == "content-type" && s.contentType == "" {
		s.contentType = f.Value
	}
}

// feed decodes the complete frames of b (every byte after the preface so
// far) that it has not decoded yet. It returns the first request's
// content-type ("" when it has none) once its header block is complete;
// errNeedMore until then; any other error for frames the router cannot
// decode, which it leaves to net/http to refuse.
func (s *h2Sniffer) feed(b []byte) (string, error) {
	for {
		rest := b[s.off:]
		if len(rest) < 9 {
			return "", errNeedMore
		}
		n := 9 + (int(rest[0])<<16 | int(rest[1])<<8 | int(rest[2]))
		if n-9 > maxFrameBytes {
			return "", http2.ErrFrameTooLarge
		}
		if len(rest) < n {
			return "", errNeedMore
		}
		s.in.b = rest[:n]
		s.off += n
		done, err := s.frame()
		if err != nil || done {
			return s.contentType, err
		}
	}
}

// frame decodes the frame in s.in; done once the first header block ends.
func (s *h2Sniffer) frame() (done bool, err error) {
	f, err := s.fr.ReadFrame()
	if err != nil {
		return false, err
	}
	var frag []byte
	var end bool
	switch f := f.(type) {
	case *http2.SettingsFrame:
		s.gotSettings = s.gotSettings || !f.IsAck()
		return false, nil
	case *http2.HeadersFrame:
		frag, end = f.HeaderBlockFragment(), f.HeadersEnded()
	case *http2.ContinuationFrame:
		frag, end = f.HeaderBlockFragment(), f.HeadersEnded()
	default:
		return false, nil
	}
	s.inBlock = true
	if _, err := s.dec.Write(frag); err != nil {
		return false, err
	}
	if !end {
		return false, nil
	}
	return true, s.dec.Close()
}

// frameReader hands the framer exactly one complete frame.
type frameReader struct{ b []byte }

func (r *frameReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

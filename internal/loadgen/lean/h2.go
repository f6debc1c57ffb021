package lean

import (
	"bytes"
	"math"
	"strconv"
	"strings"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"galaxy/galaxyctl/internal/loadgen/wire"
)

// Limits on what a server may make a connection hold: a frame (we never
// announce a larger SETTINGS_MAX_FRAME_SIZE than the default) and a header
// block split over CONTINUATION frames.
const (
	maxFrame       = 16 << 10
	maxHeaderBlock = 256 << 10
)

// h2sess is the client side of one HTTP/2 connection.
type h2sess struct {
	cfg  *Config
	reqs *requests
	dec  *hpack.Decoder
	// enc is the connection's HPACK encoder from its second request on
	// (the first, from an empty table, is the same on every connection).
	enc       *hpack.Encoder
	encBuf    *bytes.Buffer
	firstBody int // the first request's body length, to replay into enc
	requests  int

	streams []*stream
	nextID  uint32
	sent    uint32 // streams whose request went out, not yet ended
	waiting int    // streams queued
	// maxStreams is the server's SETTINGS_MAX_CONCURRENT_STREAMS: a
	// stream over it waits, as grpc-go's and Chromium's do, until another
	// ends.
	maxStreams uint32
	settings   bool // the server's SETTINGS arrived
	goaway     bool
	pend       []byte // an incomplete frame
	flow       connFlow
}

func newH2Sess(cfg *Config, reqs *requests) *h2sess {
	s := &h2sess{cfg: cfg, reqs: reqs, nextID: 1, maxStreams: math.MaxUint32}
	size := uint32(4096)
	if cfg.Profile == ProfileBrowser {
		size = chromeHeaderTableSize
	}
	s.dec = hpack.NewDecoder(size, nil)
	return s
}

func (s *h2sess) browser() bool { return s.cfg.Profile == ProfileBrowser }

func (s *h2sess) start(_ *Conn, p *proc) {
	p.out.WriteString(http2.ClientPreface)
	if !s.browser() {
		p.cut() // grpc-go writes the preface on its own
	}
	s.flow.start(s.cfg, p)
}

func (s *h2sess) open(c *Conn, p *proc, st *stream, body []byte) {
	if c.done || s.goaway {
		st.report(status.Error(codes.Unavailable, "connection closed"))
		return
	}
	st.limit = s.flow.streamWin
	st.last = p.now.UnixNano()
	st.queued, st.body = true, body
	s.waiting++
	s.streams = append(s.streams, st)
	s.sendQueued(p)
}

// sendQueued sends the requests of queued streams, in order, as far as
// the server allows: grpc-go waits for the server's preface before its
// first stream, and every client for a stream to end when the server's
// limit of concurrent streams is reached.
func (s *h2sess) sendQueued(p *proc) {
	if s.waiting == 0 || (!s.browser() && !s.settings) {
		return
	}
	for _, st := range s.streams {
		if s.sent >= s.maxStreams {
			return
		}
		if st.queued {
			st.queued = false
			s.waiting--
			s.request(p, st, st.body)
			st.body = nil
		}
	}
}

// request writes st's HEADERS and DATA, in one write. Stream identifiers
// are given in the order requests go out, as HTTP/2 requires.
func (s *h2sess) request(p *proc, st *stream, body []byte) {
	st.id = s.nextID
	s.nextID += 2
	s.sent++
	fields := s.reqs.fields(len(body))
	var blk []byte
	if s.requests == 0 {
		blk = block(nil, &p.hdr, fields)
		s.firstBody = len(body)
	} else {
		if s.enc == nil {
			s.encBuf = new(bytes.Buffer)
			s.enc = hpack.NewEncoder(s.encBuf)
			block(s.enc, s.encBuf, s.reqs.fields(s.firstBody))
		}
		blk = block(s.enc, s.encBuf, fields)
	}
	s.requests++
	_ = p.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: st.id, BlockFragment: blk, EndHeaders: true})
	_ = p.fr.WriteData(st.id, true, body)
}

func (s *h2sess) cancel(c *Conn, p *proc, st *stream) {
	if !s.remove(st) {
		return
	}
	st.opened = nil
	if !st.queued && !c.done {
		_ = p.fr.WriteRSTStream(st.id, http2.ErrCodeCancel)
		s.sendQueued(p)
	}
}

// remove drops st from the connection's streams.
func (s *h2sess) remove(st *stream) bool {
	var found bool
	if s.streams, found = removeStream(s.streams, st); found && st.queued {
		s.waiting--
	} else if found {
		s.sent--
	}
	return found
}

func (s *h2sess) find(id uint32) *stream {
	for _, st := range s.streams {
		if st.id == id && !st.queued {
			return st
		}
	}
	return nil
}

// end ends st: a failed open, or an End event when report is set.
func (s *h2sess) end(st *stream, err error, report bool) {
	if !s.remove(st) {
		return
	}
	if st.opened != nil {
		st.report(openErr(err))
		return
	}
	if report {
		s.cfg.Events.End(int(st.client), err)
	}
}

func (s *h2sess) fail(_ *Conn, err error, report bool) {
	for len(s.streams) > 0 {
		s.end(s.streams[0], err, report)
	}
	s.pend = nil
}

// feed decodes every complete frame of b (after what was pending) with
// the shared Framer, and keeps an incomplete one for the next read.
func (s *h2sess) feed(c *Conn, p *proc, b []byte) error {
	if len(s.pend) > 0 {
		s.pend = append(s.pend, b...)
		b = s.pend
	}
	for {
		end, err := frameEnd(b)
		if err != nil {
			return err
		}
		if end < 0 {
			break
		}
		p.rd.b = b[:end]
		b = b[end:]
		p.fr.ReadMetaHeaders = s.dec
		f, err := p.fr.ReadFrame()
		if err != nil {
			return status.Errorf(codes.Internal, "http2: %v", err)
		}
		s.frame(c, p, f)
		if c.done {
			return nil
		}
	}
	s.sendQueued(p) // streams that ended made room
	if len(b) == 0 {
		s.pend = nil
	} else {
		s.pend = append([]byte(nil), b...)
	}
	return nil
}

// frameEnd returns the end of the complete frame at the start of b (for
// HEADERS without END_HEADERS, of the complete header block, which the
// Framer reads whole), or -1.
func frameEnd(b []byte) (int, error) {
	off := 0
	for {
		if len(b)-off < wire.FrameHeaderLen {
			return -1, nil
		}
		n := int(b[off])<<16 | int(b[off+1])<<8 | int(b[off+2])
		if n > maxFrame || off > maxHeaderBlock {
			return 0, status.Errorf(codes.Internal, "http2: frame of %d bytes over the limit", n)
		}
		typ, flags := http2.FrameType(b[off+3]), http2.Flags(b[off+4])
		if len(b)-off < wire.FrameHeaderLen+n {
			return -1, nil
		}
		off += wire.FrameHeaderLen + n
		if (typ == http2.FrameHeaders || typ == http2.FrameContinuation) && !flags.Has(http2.FlagHeadersEndHeaders) {
			continue
		}
		return off, nil
	}
}

func (s *h2sess) frame(c *Conn, p *proc, f http2.Frame) {
	switch f := f.(type) {
	case *http2.DataFrame:
		s.data(p, f)
	case *http2.MetaHeadersFrame:
		s.headers(p, f)
		// The decoder keeps its last emit function, and with it the
		// frame's fields, until the next header block.
		s.dec.SetEmitFunc(noEmit)
	case *http2.SettingsFrame:
		if f.IsAck() {
			return
		}
		if v, ok := f.Value(http2.SettingMaxConcurrentStreams); ok {
			s.maxStreams = v
		}
		_ = p.fr.WriteSettingsAck()
		s.flow.unit(p)
		s.settings = true
		s.sendQueued(p)
	case *http2.PingFrame:
		if !f.IsAck() {
			_ = p.fr.WritePing(true, f.Data)
			s.flow.unit(p)
		} else if f.Data == bdpPing {
			s.flow.pingAck(s, p)
		}
	case *http2.RSTStreamFrame:
		if st := s.find(f.StreamID); st != nil {
			s.end(st, rstError(f.ErrCode), true)
		}
	case *http2.GoAwayFrame:
		s.goaway = true
		c.dead.Store(true)
		for _, st := range append([]*stream(nil), s.streams...) {
			if st.id > f.LastStreamID {
				s.end(st, status.Errorf(codes.Unavailable, "server going away (%v)", f.ErrCode), true)
			}
		}
	}
}

func noEmit(hpack.HeaderField) {}

func (s *h2sess) data(p *proc, f *http2.DataFrame) {
	st := s.find(f.StreamID)
	s.flow.data(p, st, f.Header().Length)
	if st == nil {
		return
	}
	if !st.headers {
		s.end(st, status.Error(codes.Internal, "http2: DATA before the response header"), true)
		return
	}
	for b := f.Data(); len(b) > 0; {
		var flags byte
		var m []byte
		var ok bool
		if b, flags, m, ok = st.env.next(b); !ok {
			break
		}
		if wire.IsEndStream(flags) && s.cfg.Protocol != ProtocolGRPC {
			s.end(st, endStatus(flags, m), true)
			return
		}
		s.cfg.Events.Message(int(st.client), flags == 0 && m != nil && wire.IsHeartbeat(m), p.now)
	}
	if f.StreamEnded() {
		s.end(st, s.missingEnd(), true)
	}
}

// missingEnd is the error of a stream that ended without its protocol's
// end: gRPC's trailers, Connect's end-of-stream message, gRPC-Web's
// trailers frame.
func (s *h2sess) missingEnd() error {
	switch s.cfg.Protocol {
	case ProtocolConnect:
		return status.Error(codes.Internal, "connect: stream ended without an end-of-stream message")
	case ProtocolGRPCWeb:
		return status.Error(codes.Internal, "grpc-web: stream ended without trailers")
	}
	return status.Error(codes.Internal, "server closed the stream without sending trailers")
}

func (s *h2sess) headers(p *proc, mh *http2.MetaHeadersFrame) {
	st := s.find(mh.StreamID)
	if st == nil {
		return
	}
	fields := regularFields(mh)
	if st.headers { // trailers
		if _, ok := fields["grpc-status"]; ok || s.cfg.Protocol == ProtocolGRPC {
			s.end(st, trailerStatus(fields, "trailers"), true)
		}
		return
	}
	code, _ := strconv.Atoi(mh.PseudoValue("status"))
	ct := fields["content-type"]
	switch {
	case code != 200:
		s.reset(p, st, mh.StreamEnded(), httpStatusError(code, ct))
	case fields["grpc-status"] != "": // trailers-only: an error before any message
		s.reset(p, st, mh.StreamEnded(), trailerStatus(fields, "trailers-only response"))
	case mh.StreamEnded():
		s.end(st, s.missingEnd(), true)
	case !strings.HasPrefix(ct, s.expectedType()):
		s.reset(p, st, false, status.Errorf(codes.Internal, "unexpected content-type %q", ct))
	default:
		st.headers = true
		st.report(nil)
	}
}

// reset ends st with err, cancelling it at the server unless it ended.
func (s *h2sess) reset(p *proc, st *stream, ended bool, err error) {
	if !ended {
		_ = p.fr.WriteRSTStream(st.id, http2.ErrCodeCancel)
	}
	s.end(st, err, true)
}

func (s *h2sess) expectedType() string {
	switch s.cfg.Protocol {
	case ProtocolConnect:
		return "application/connect"
	case ProtocolGRPCWeb:
		return "application/grpc-web"
	}
	return "application/grpc"
}

func regularFields(mh *http2.MetaHeadersFrame) map[string]string {
	rf := mh.RegularFields()
	m := make(map[string]string, len(rf))
	for _, f := range rf {
		m[f.Name] = f.Value
	}
	return m
}

// rstError maps an RST_STREAM code as grpc-go does.
func rstError(code http2.ErrCode) error {
	c := codes.Internal
	switch code {
	case http2.ErrCodeRefusedStream:
		c = codes.Unavailable
	case http2.ErrCodeCancel:
		c = codes.Canceled
	case http2.ErrCodeEnhanceYourCalm:
		c = codes.ResourceExhausted
	case http2.ErrCodeInadequateSecurity:
		c = codes.PermissionDenied
	}
	return status.Errorf(c, "stream reset by the server: %v", code)
}

package loadgen

import (
	"sync"
	"syscall"

	"galaxy/galaxyctl/internal/loadgen/probe"
	"galaxy/galaxyctl/internal/loadgen/report"
	"galaxy/galaxyctl/internal/loadgen/wire"
)

// Window states of the sockets' accounting.
const (
	windowBefore = iota
	windowActive
	windowEnded
)

// connRecord is one client socket's place in the TCP_INFO accounting.
type connRecord struct {
	sys      syscall.RawConn
	conn     *wire.Conn // its counting wrapper, for paired readings
	ipv6     bool
	base     probe.TCPSample // TCP_INFO at the window start (zero if opened in it)
	inWindow bool
}

// read reads the socket's TCP_INFO and, right after, its counting
// connection's byte totals: paired per socket, the two views differ only by
// a read or write in the instant between them.
func (rec *connRecord) read() (probe.TCPSample, error) {
	if rec.conn == nil {
		return probe.ReadTCPInfo(rec.sys)
	}
	// Bracket the syscall: if the counters moved during it, a read or
	// write landed in between and the pair is retaken.
	for try := 0; ; try++ {
		r0, w0 := rec.conn.Totals()
		s, err := probe.ReadTCPInfo(rec.sys)
		r1, w1 := rec.conn.Totals()
		if err != nil || (r0 == r1 && w0 == w1) || try == 3 {
			s.ConnRead, s.ConnWritten = r1, w1
			return s, err
		}
	}
}

// addWindow adds one socket's window, from base to end, to t.
func addWindow(t *report.TCPTotals, rec *connRecord, base, end probe.TCPSample) {
	hdr := wire.TCPIPHeaderLen(rec.ipv6, end.Timestamps)
	d := end.Sub(base)
	t.AppRead += end.AppRead() - base.AppRead()
	t.AppWritten += end.AppWritten() - base.AppWritten()
	t.ConnRead += end.ConnRead - base.ConnRead
	t.ConnWritten += end.ConnWritten - base.ConnWritten
	t.Sockets++
	if !d.Timestamps {
		t.NoTimestamps++
	}
	t.SegsIn += uint64(d.SegsIn)
	t.SegsOut += uint64(d.SegsOut)
	t.DataSegsIn += uint64(d.DataSegsIn)
	t.DataSegsOut += uint64(d.DataSegsOut)
	t.BytesReceived += d.BytesReceived
	t.BytesAcked += d.BytesAcked
	t.BytesSent += d.BytesSent
	t.TotalRetrans += uint64(d.TotalRetrans)
	t.HeaderBytesIn += uint64(d.SegsIn) * hdr
	t.HeaderBytesOut += uint64(d.SegsOut) * hdr
}

// sockets is the TCP_INFO side of the collector: every open client socket
// and the window that brackets them.
type sockets struct {
	mu      sync.Mutex
	live    map[*connRecord]struct{}
	window  int
	closedT report.TCPTotals // deltas of sockets closed inside the window
}

func (s *sockets) register(rec *connRecord) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.live[rec] = struct{}{}
	// Opened inside the window: all of its traffic belongs to it.
	rec.inWindow = s.window == windowActive
}

// unregister runs before the socket closes, while TCP_INFO can be read.
func (s *sockets) unregister(rec *connRecord) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.live, rec)
	if s.window != windowActive || !rec.inWindow {
		return
	}
	end, err := rec.read()
	if err != nil {
		s.closedT.Failed++
		return
	}
	addWindow(&s.closedT, rec, rec.base, end)
}

// startWindowLocked reads every socket's TCP_INFO as its base; the
// caller holds mu.
func (s *sockets) startWindowLocked() {
	for rec := range s.live {
		b, err := rec.read()
		rec.inWindow = err == nil
		rec.base = b
	}
	s.window = windowActive
}

// endWindowLocked returns the TCP_INFO deltas of every socket over the
// window; the caller holds mu.
func (s *sockets) endWindowLocked() report.TCPTotals {
	t := s.closedT
	for rec := range s.live {
		if !rec.inWindow {
			t.Failed++
			continue
		}
		end, err := rec.read()
		if err != nil {
			t.Failed++
			continue
		}
		addWindow(&t, rec, rec.base, end)
	}
	s.window = windowEnded
	return t
}

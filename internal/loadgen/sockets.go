package loadgen

import (
	"runtime"
	"sync"
	"syscall"
	"time"

	"galaxy/galaxyctl/internal/loadgen/probe"
	"galaxy/galaxyctl/internal/loadgen/report"
	"galaxy/galaxyctl/internal/loadgen/wire"
)

// connRecord is one client socket's place in the TCP_INFO accounting.
type connRecord struct {
	sys      syscall.RawConn // guarded by sockets.mu once registered
	ctr      *wire.Counter   // its byte counter, for paired readings
	ipv6     bool
	base     probe.TCPSample // TCP_INFO at the period's start (zero if opened in it)
	inPeriod bool
}

// read reads the socket's TCP_INFO and, right after, its counting
// connection's byte totals: paired per socket, the two views describe the
// same instant unless a read or write was in flight between them, and
// then the pair is retaken.
func (rec *connRecord) read() (probe.TCPSample, error) {
	if rec.ctr == nil {
		return probe.ReadTCPInfo(rec.sys)
	}
	for try := 0; ; try++ {
		var s probe.TCPSample
		var err error
		r, w, stable := rec.ctr.Paired(func() { s, err = probe.ReadTCPInfo(rec.sys) })
		if err != nil || stable || try == pairTries {
			s.ConnRead, s.ConnWritten = r, w
			return s, err
		}
		// An event loop is between a syscall and its counting: a
		// moment's work, unless the scheduler preempted it there, so
		// yield first, then wait a little.
		if try < pairTries/2 {
			runtime.Gosched()
		} else {
			time.Sleep(pairWait)
		}
	}
}

// pairTries and pairWait bound the retakes of an unstable pair to about
// 3 ms: an event loop counts a syscall's bytes microseconds after it
// returns, unless it is preempted in between on a loaded machine.
const (
	pairTries = 64
	pairWait  = 100 * time.Microsecond
)

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
// and the period (ramp, warm-up, window) whose TCP_INFO deltas it sums.
// Only one period is open at a time; once the window ends, none is.
type sockets struct {
	mu      sync.Mutex
	live    map[*connRecord]struct{}
	period  int              // the open period's number, counting from 1
	active  bool             // period is open
	closedT report.TCPTotals // deltas of sockets closed inside the period
}

func (s *sockets) register(rec *connRecord) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.live[rec] = struct{}{}
	// Opened inside the period: all of its traffic belongs to it.
	rec.inPeriod = s.active
}

// unregister runs before the socket closes, while TCP_INFO can be read.
func (s *sockets) unregister(rec *connRecord) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.live, rec)
	if !s.active || !rec.inPeriod {
		return
	}
	end, err := rec.read()
	if err != nil {
		s.closedT.Failed++
		return
	}
	addWindow(&s.closedT, rec, rec.base, end)
}

// startLocked opens a new period: every socket's TCP_INFO now is its base.
// It returns the period's number; the caller holds mu.
func (s *sockets) startLocked() int {
	for rec := range s.live {
		b, err := rec.read()
		rec.inPeriod = err == nil
		rec.base = b
	}
	s.period++
	s.active = true
	s.closedT = report.TCPTotals{}
	return s.period
}

// sumLocked returns the TCP_INFO deltas of every socket over the open
// period so far; the caller holds mu.
func (s *sockets) sumLocked() report.TCPTotals {
	t := s.closedT
	for rec := range s.live {
		if !rec.inPeriod {
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
	return t
}

package loadgen

import "syscall"

// TCP/IP header sizes per segment, for the IP-level figures. Linux sends
// the timestamp option (10 bytes, padded to 12) on every segment once both
// ends negotiated it, which they do by default; SACK blocks and other
// options on loss are not counted.
const (
	ipv4HeaderLen      = 20
	ipv6HeaderLen      = 40
	tcpHeaderLen       = 20
	tcpTimestampOptLen = 12
)

// tcpSample is one reading of a socket's TCP_INFO counters. The segment
// counters are 32-bit in the kernel; deltas wrap correctly in uint32.
type tcpSample struct {
	SegsIn, SegsOut         uint32
	DataSegsIn, DataSegsOut uint32
	TotalRetrans            uint32
	BytesReceived           uint64
	BytesAcked              uint64
	BytesSent               uint64
	Timestamps              bool
	// UnreadIn (SIOCINQ) is received bytes the client has not read yet;
	// UnackedOut (SIOCOUTQ) written bytes the peer has not acked yet.
	// They are levels, not counters: read in the same instant as the
	// counters, they turn the kernel's figures into what the application
	// read and wrote, which is what the counting connections see.
	UnreadIn, UnackedOut uint64
	// ConnRead and ConnWritten are the counting connection's totals, read
	// right after the kernel's.
	ConnRead, ConnWritten uint64
}

// read is the bytes the application has read from the socket.
func (s tcpSample) read() uint64 { return s.BytesReceived - s.UnreadIn }

// written is the bytes the application has written to the socket.
func (s tcpSample) written() uint64 { return s.BytesAcked + s.UnackedOut }

func (s tcpSample) sub(o tcpSample) tcpSample {
	s.SegsIn -= o.SegsIn
	s.SegsOut -= o.SegsOut
	s.DataSegsIn -= o.DataSegsIn
	s.DataSegsOut -= o.DataSegsOut
	s.BytesReceived -= o.BytesReceived
	s.BytesAcked -= o.BytesAcked
	s.BytesSent -= o.BytesSent
	s.TotalRetrans -= o.TotalRetrans
	return s
}

// tcpTotals sums the TCP_INFO deltas of every socket over a window, with
// the TCP/IP header bytes of each socket's segments.
type tcpTotals struct {
	Sockets        int // sockets with a reading
	Failed         int // sockets whose TCP_INFO could not be read
	NoTimestamps   int // sockets without the timestamp option
	SegsIn         uint64
	SegsOut        uint64
	DataSegsIn     uint64
	DataSegsOut    uint64
	BytesReceived  uint64
	BytesAcked     uint64
	BytesSent      uint64
	TotalRetrans   uint64
	HeaderBytesIn  uint64
	HeaderBytesOut uint64
	// AppRead and AppWritten are the kernel's view of the bytes the
	// application read and wrote (see tcpSample.read and written).
	AppRead    uint64
	AppWritten uint64
	// ConnRead and ConnWritten are the counting connections' bytes over
	// the same per-socket window.
	ConnRead    uint64
	ConnWritten uint64
}

// addWindow adds one socket's window from base to end.
func (t *tcpTotals) addWindow(base, end tcpSample, hdr uint64) {
	t.AppRead += end.read() - base.read()
	t.AppWritten += end.written() - base.written()
	t.ConnRead += end.ConnRead - base.ConnRead
	t.ConnWritten += end.ConnWritten - base.ConnWritten
	t.add(end.sub(base), hdr)
}

// add adds the delta d of one socket whose segments carry hdr bytes of
// TCP/IP headers each.
func (t *tcpTotals) add(d tcpSample, hdr uint64) {
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

// headerLen is the TCP/IP header bytes per segment of a socket.
func headerLen(ipv6, timestamps bool) uint64 {
	n := uint64(ipv4HeaderLen + tcpHeaderLen)
	if ipv6 {
		n = ipv6HeaderLen + tcpHeaderLen
	}
	if timestamps {
		n += tcpTimestampOptLen
	}
	return n
}

// rawConnOf returns the syscall.RawConn of c, if it has one.
func rawConnOf(c any) syscall.RawConn {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}

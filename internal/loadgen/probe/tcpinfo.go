package probe

import "syscall"

// TCPSample is one reading of a socket's TCP_INFO counters. The segment
// counters are 32-bit in the kernel; deltas wrap correctly in uint32.
type TCPSample struct {
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
	// read and wrote, which is what counting connections see.
	UnreadIn, UnackedOut uint64
	// ConnRead and ConnWritten are a counting connection's totals, read by
	// the caller right after the kernel's.
	ConnRead, ConnWritten uint64
}

// AppRead is the bytes the application has read from the socket.
func (s TCPSample) AppRead() uint64 { return s.BytesReceived - s.UnreadIn }

// AppWritten is the bytes the application has written to the socket.
func (s TCPSample) AppWritten() uint64 { return s.BytesAcked + s.UnackedOut }

// Sub returns the counters of s minus o (s later than o); the levels and
// Timestamps stay s's.
func (s TCPSample) Sub(o TCPSample) TCPSample {
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

// RawConnOf returns the syscall.RawConn of c, if it has one.
func RawConnOf(c any) syscall.RawConn {
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

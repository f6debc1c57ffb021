package probe

import (
	"errors"
	"syscall"

	"golang.org/x/sys/unix"
)

// TCPInfoSupported is whether ReadTCPInfo can work on this system.
const TCPInfoSupported = true

// tcpiOptTimestamps is TCPI_OPT_TIMESTAMPS in tcpi_options.
const tcpiOptTimestamps = 0x1

// ReadTCPInfo reads TCP_INFO and the queue levels of the socket behind rc.
// The counters and the levels come from separate syscalls, and an ACK or
// data arriving between them would pair a counter from before with a
// level from after (bytes_acked old, SIOCOUTQ already down: written bytes
// undercounted). So the levels are read on both sides of TCP_INFO, and
// the reading is taken again, a few times at most, until they agree.
func ReadTCPInfo(rc syscall.RawConn) (TCPSample, error) {
	if rc == nil {
		return TCPSample{}, errors.New("tcp_info: not a socket")
	}
	var (
		info *unix.TCPInfo
		inq  int
		outq int
		serr error
	)
	err := rc.Control(func(fd uintptr) {
		for try := 0; try < 4; try++ {
			in1, out1, err1 := queues(int(fd))
			i, err2 := unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
			in2, out2, err3 := queues(int(fd))
			info, inq, outq, serr = i, in2, out2, errors.Join(err1, err2, err3)
			if serr != nil || (in1 == in2 && out1 == out2) {
				return
			}
		}
	})
	if err == nil {
		err = serr
	}
	if err != nil {
		return TCPSample{}, err
	}
	return TCPSample{
		SegsIn:        info.Segs_in,
		SegsOut:       info.Segs_out,
		DataSegsIn:    info.Data_segs_in,
		DataSegsOut:   info.Data_segs_out,
		TotalRetrans:  info.Total_retrans,
		BytesReceived: info.Bytes_received,
		BytesAcked:    info.Bytes_acked,
		BytesSent:     info.Bytes_sent,
		Timestamps:    info.Options&tcpiOptTimestamps != 0,
		UnreadIn:      uint64(max(inq, 0)),
		UnackedOut:    uint64(max(outq, 0)),
	}, nil
}

// queues reads the receive and send queue levels (SIOCINQ, SIOCOUTQ).
func queues(fd int) (in, out int, err error) {
	in, err1 := unix.IoctlGetInt(fd, unix.SIOCINQ)
	out, err2 := unix.IoctlGetInt(fd, unix.SIOCOUTQ)
	return in, out, errors.Join(err1, err2)
}

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
func ReadTCPInfo(rc syscall.RawConn) (TCPSample, error) {
	if rc == nil {
		return TCPSample{}, errors.New("tcp_info: not a socket")
	}
	var (
		info               *unix.TCPInfo
		inq, outq          int
		ierr, qerr1, qerr2 error
	)
	err := rc.Control(func(fd uintptr) {
		info, ierr = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
		inq, qerr1 = unix.IoctlGetInt(int(fd), unix.SIOCINQ)
		outq, qerr2 = unix.IoctlGetInt(int(fd), unix.SIOCOUTQ)
	})
	if err == nil {
		err = errors.Join(ierr, qerr1, qerr2)
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

package loadgen

import (
	"errors"
	"syscall"

	"golang.org/x/sys/unix"
)

// tcpInfoSupported is whether readTCPInfo can work on this system.
const tcpInfoSupported = true

// tcpiOptTimestamps is TCPI_OPT_TIMESTAMPS in tcpi_options.
const tcpiOptTimestamps = 0x1

// readTCPInfo reads TCP_INFO of the socket behind rc.
func readTCPInfo(rc syscall.RawConn) (tcpSample, error) {
	if rc == nil {
		return tcpSample{}, errors.New("tcp_info: not a socket")
	}
	var (
		info        *unix.TCPInfo
		inq, outq   int
		ierr, qerr1 error
		qerr2       error
	)
	err := rc.Control(func(fd uintptr) {
		info, ierr = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
		inq, qerr1 = unix.IoctlGetInt(int(fd), unix.SIOCINQ)
		outq, qerr2 = unix.IoctlGetInt(int(fd), unix.SIOCOUTQ)
	})
	if err == nil {
		err = errors.Join(ierr, qerr1, qerr2)
		ierr = nil
	}
	if err == nil {
		err = ierr
	}
	if err != nil {
		return tcpSample{}, err
	}
	return tcpSample{
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

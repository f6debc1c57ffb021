package wire

// TCP/IP header sizes per segment. Linux sends the timestamp option (10
// bytes, padded to 12) on every segment once both ends negotiated it,
// which they do by default; SACK blocks and other options sent on loss are
// not counted.
const (
	IPv4HeaderLen      = 20
	IPv6HeaderLen      = 40
	TCPHeaderLen       = 20
	TCPTimestampOptLen = 12
)

// TCPIPHeaderLen is the TCP/IP header bytes of every segment of a socket:
// 52 for IPv4 with timestamps, the model's figure.
func TCPIPHeaderLen(ipv6, timestamps bool) uint64 {
	n := uint64(IPv4HeaderLen + TCPHeaderLen)
	if ipv6 {
		n = IPv6HeaderLen + TCPHeaderLen
	}
	if timestamps {
		n += TCPTimestampOptLen
	}
	return n
}

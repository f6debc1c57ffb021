package lean

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"strconv"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"galaxy/galaxyctl/internal/loadgen/wire"
)

// Message sizes the client keeps to look at: a message that may be a
// heartbeat (wire.IsHeartbeat decides), and an end-of-stream envelope,
// whose status the stream ends with. Larger messages are only counted.
const (
	keepMessage   = 64
	keepEndStream = 16 << 10
	envelopeLen   = wire.GRPCPrefixLen
)

// envReader splits a stream's body into envelopes. A message that arrives
// whole in one read is looked at in place; only one split across reads is
// copied, and only while it is incomplete.
type envReader struct {
	hdr   [envelopeLen]byte
	hdrN  uint8
	keep  bool
	left  uint32
	size  uint32
	flags byte
	buf   []byte
}

// next consumes body bytes up to the end of the next envelope. ok reports
// a complete envelope; m is its payload, or nil when it was too large to
// keep (a real event). The returned m may alias b.
func (r *envReader) next(b []byte) (rest []byte, flags byte, m []byte, ok bool) {
	for len(b) > 0 {
		if r.hdrN < envelopeLen {
			n := copy(r.hdr[r.hdrN:], b)
			r.hdrN += uint8(n)
			b = b[n:]
			if r.hdrN < envelopeLen {
				return b, 0, nil, false
			}
			r.flags = r.hdr[0]
			r.size = binary.BigEndian.Uint32(r.hdr[1:])
			r.left = r.size
			limit := uint32(keepMessage)
			if wire.IsEndStream(r.flags) {
				limit = keepEndStream
			}
			r.keep = r.size <= limit
			if len(b) >= int(r.size) { // whole: no copy
				m, b = b[:r.size], b[r.size:]
				r.hdrN = 0
				if !r.keep {
					m = nil
				}
				return b, r.flags, m, true
			}
			continue
		}
		n := min(uint32(len(b)), r.left)
		if r.keep {
			r.buf = append(r.buf, b[:n]...)
		}
		r.left -= n
		b = b[n:]
		if r.left == 0 {
			m, r.buf = r.buf, nil
			if m == nil && r.keep {
				m = []byte{}
			}
			r.hdrN = 0
			return b, r.flags, m, true
		}
	}
	return b, 0, nil, false
}

// endStatus is the status of an end-of-stream envelope: Connect's JSON
// message or gRPC-Web's trailers. It is io.EOF for OK, as grpc-go reports
// a stream that ended cleanly.
func endStatus(flags byte, m []byte) error {
	if m == nil {
		return status.Error(codes.ResourceExhausted, "end-of-stream message too large")
	}
	if flags&wire.FlagGRPCWebTrailers != 0 {
		return trailerStatus(parseTrailerBlock(string(m)), "gRPC-Web trailers")
	}
	var end struct {
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(m, &end); err != nil {
		return status.Errorf(codes.Internal, "connect: bad end-of-stream message: %v", err)
	}
	if end.Error == nil {
		return io.EOF
	}
	return status.Error(connectCode(end.Error.Code), end.Error.Message)
}

// connectCode maps Connect's code names ("unavailable") to gRPC codes,
// whose numbers Connect shares.
func connectCode(name string) codes.Code {
	var c codes.Code
	if err := c.UnmarshalJSON([]byte(strconv.Quote(strings.ToUpper(name)))); err != nil || name == "" {
		return codes.Unknown
	}
	return c
}

// parseTrailerBlock reads gRPC-Web's trailers: HTTP/1-style lines.
func parseTrailerBlock(s string) map[string]string {
	t := make(map[string]string, 2)
	for line := range strings.SplitSeq(s, "\n") {
		k, v, ok := strings.Cut(strings.TrimRight(line, "\r"), ":")
		if ok {
			t[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
		}
	}
	return t
}

// trailerStatus is the status in grpc-status and grpc-message, io.EOF for
// OK; where is what carried them, for the error of their absence.
func trailerStatus(t map[string]string, where string) error {
	v, ok := t["grpc-status"]
	if !ok {
		return status.Errorf(codes.Internal, "%s without grpc-status", where)
	}
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil {
		return status.Errorf(codes.Internal, "%s: bad grpc-status %q", where, v)
	}
	if n == 0 {
		return io.EOF
	}
	msg := t["grpc-message"]
	if m, err := url.PathUnescape(msg); err == nil {
		msg = m // grpc-message is percent-encoded
	}
	return status.Error(codes.Code(n), msg)
}

// httpStatusError is the error of a response whose HTTP status is not
// 200, mapped as gRPC and Connect clients map it.
func httpStatusError(code int, contentType string) error {
	c := codes.Unknown
	switch code {
	case 400:
		c = codes.Internal
	case 401:
		c = codes.Unauthenticated
	case 403:
		c = codes.PermissionDenied
	case 404:
		c = codes.Unimplemented
	case 429, 502, 503, 504:
		c = codes.Unavailable
	}
	return status.Errorf(c, "unexpected HTTP status %d (content-type %q)", code, contentType)
}

// openErr turns an error that ended a stream before its response header
// into one a failed open reports.
func openErr(err error) error {
	if errors.Is(err, io.EOF) {
		return status.Error(codes.Internal, "stream ended before its response header")
	}
	return err
}

// connErr is a stream's error when its connection ends.
func connErr(err error) error {
	if _, ok := status.FromError(err); ok {
		return err
	}
	return status.Errorf(codes.Unavailable, "connection ended: %v", err)
}

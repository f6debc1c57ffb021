package portmux

import (
	"io"
	"net"
	"strconv"
	"time"

	"golang.org/x/net/http2"
)

// refuseTimeout bounds the write of a refusal to a client that reads
// nothing.
const refuseTimeout = time.Second

// Messages of the refusals, naming the flag an operator sets.
const (
	http1Refused = "HTTP/1.1 is not served on this port (serve --http-versions leaves it out); use HTTP/2\n"
	http2Refused = "HTTP/2 is not served on this port (serve --http-versions leaves it out); use HTTP/1.1"
)

// refuseHTTP1 answers an HTTP/1.x connection with 505 and a message.
func (r *Router) refuseHTTP1(c net.Conn) {
	r.stats.refused.Add(1)
	_ = c.SetWriteDeadline(time.Now().Add(refuseTimeout))
	_, _ = io.WriteString(c, "HTTP/1.1 505 HTTP Version Not Supported\r\n"+
		"Content-Type: text/plain; charset=utf-8\r\nConnection: close\r\n"+
		"Content-Length: "+strconv.Itoa(len(http1Refused))+"\r\n\r\n"+http1Refused)
}

// refuseHTTP2 answers an HTTP/2 connection with the server preface and a
// GOAWAY HTTP_1_1_REQUIRED whose debug data says why.
func (r *Router) refuseHTTP2(c net.Conn) {
	r.stats.refused.Add(1)
	_ = c.SetWriteDeadline(time.Now().Add(refuseTimeout))
	fr := http2.NewFramer(c, nil)
	if fr.WriteSettings() == nil {
		_ = fr.WriteGoAway(0, http2.ErrCodeHTTP11Required, []byte(http2Refused))
	}
}

// lingerClose closes c after a refusal without losing the refusal: closing
// a socket with unread input resets it, and the client may then drop our
// answer unread. So it ends our side, and reads what the client still
// sends, for a bounded time, before closing.
func lingerClose(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
		_ = c.SetReadDeadline(time.Now().Add(refuseTimeout))
		_, _ = io.Copy(io.Discard, io.LimitReader(c, 1<<20))
	}
	_ = c.Close()
}

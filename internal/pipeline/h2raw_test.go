package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// h2Result is what a server answered one raw HTTP/2 request with.
type h2Result struct {
	settings map[http2.SettingID]uint32
	status   string // :status of the response, "" if none
	grpc     string // grpc-status from the headers or trailers
	rst      http2.ErrCode
	goAway   string // code and debug data
}

func (r h2Result) String() string {
	return fmt.Sprintf("status %q grpc-status %q rst %v goaway %q", r.status, r.grpc, r.rst, r.goAway)
}

// rawH2 opens a connection as Chromium does (HEADERS without waiting for
// the server's SETTINGS), sends one request with contentType and extra
// headers, and reads until the response ends or is refused. The router
// sends it by content type to grpc-go or net/http.
func rawH2(ctx context.Context, t *testing.T, addr, path, contentType string, extra [][2]string, body []byte) h2Result {
	t.Helper()
	c, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	fr := http2.NewFramer(c, c)
	fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	_, _ = io.WriteString(c, http2.ClientPreface)
	_ = fr.WriteSettings()
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	fields := [][2]string{{":method", "POST"}, {":scheme", "http"}, {":authority", addr}, {":path", path},
		{"content-type", contentType}, {"te", "trailers"}, {"connect-protocol-version", "1"}}
	for _, f := range append(fields, extra...) {
		_ = enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	block := hb.Bytes()
	first := block[:min(len(block), 16<<10)]
	_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: first, EndHeaders: len(first) == len(block)})
	for rest := block[len(first):]; len(rest) > 0; {
		n := min(len(rest), 16<<10)
		_ = fr.WriteContinuation(1, n == len(rest), rest[:n])
		rest = rest[n:]
	}
	_ = fr.WriteData(1, true, body)
	res := h2Result{settings: map[http2.SettingID]uint32{}}
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			return res
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				_ = f.ForeachSetting(func(s http2.Setting) error { res.settings[s.ID] = s.Val; return nil })
				_ = fr.WriteSettingsAck()
			}
		case *http2.PingFrame:
			if !f.IsAck() {
				_ = fr.WritePing(true, f.Data)
			}
		case *http2.MetaHeadersFrame:
			if s := f.PseudoValue("status"); s != "" {
				res.status = s
			}
			for _, hf := range f.RegularFields() {
				if hf.Name == "grpc-status" {
					res.grpc = hf.Value
				}
			}
			if f.StreamEnded() {
				return res
			}
		case *http2.DataFrame:
			if f.StreamEnded() {
				return res
			}
		case *http2.RSTStreamFrame:
			res.rst = f.ErrCode
			return res
		case *http2.GoAwayFrame:
			res.goAway = f.ErrCode.String() + " " + string(f.DebugData())
			return res
		}
	}
}

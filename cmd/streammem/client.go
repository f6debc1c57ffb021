package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

const subscribePath = "/galaxy.gateway.v1.Gateway/Subscribe"

// client holds n idle streams of one kind, one connection each.
type client struct {
	addr string
	c    combo

	mu    sync.Mutex
	conns []net.Conn
	wg    sync.WaitGroup

	failed   atomic.Int64
	data     atomic.Int64
	firstErr atomic.Value
}

func (cl *client) fail(err error) {
	cl.failed.Add(1)
	cl.firstErr.CompareAndSwap(nil, err.Error())
}

// open opens n streams, 64 at a time, and returns once each has its
// response header or has failed.
func (cl *client) open(ctx context.Context, n int) {
	sem := make(chan struct{}, 64)
	var ready sync.WaitGroup
	for range n {
		sem <- struct{}{}
		ready.Add(1)
		cl.wg.Add(1)
		go func() {
			defer cl.wg.Done()
			once := sync.OnceFunc(func() { <-sem; ready.Done() })
			defer once()
			if err := cl.stream(ctx, once); err != nil {
				cl.fail(err)
			}
		}()
	}
	ready.Wait()
}

func (cl *client) close() {
	cl.mu.Lock()
	for _, c := range cl.conns {
		_ = c.Close()
	}
	cl.mu.Unlock()
	cl.wg.Wait()
}

func (cl *client) contentType() string {
	switch cl.c.Protocol {
	case "grpc":
		return "application/grpc+" + cl.c.Codec
	case "connect":
		return "application/connect+" + cl.c.Codec
	default:
		return "application/grpc-web+" + cl.c.Codec
	}
}

// body is an enveloped empty SubscribeRequest.
func (cl *client) body() []byte {
	var msg []byte
	if cl.c.Codec == "json" {
		msg = []byte("{}")
	}
	b := make([]byte, 5, 5+len(msg))
	binary.BigEndian.PutUint32(b[1:], uint32(len(msg)))
	return append(b, msg...)
}

func (cl *client) dial(ctx context.Context) (net.Conn, error) {
	c, err := (&net.Dialer{Timeout: 10 * time.Second}).DialContext(ctx, "tcp", cl.addr)
	if err != nil {
		return nil, err
	}
	cl.mu.Lock()
	cl.conns = append(cl.conns, c)
	cl.mu.Unlock()
	if !cl.c.TLS {
		return c, nil
	}
	alpn := "h2"
	if cl.c.HTTP == "1.1" {
		alpn = "http/1.1"
	}
	tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{alpn}})
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, err
	}
	if got := tc.ConnectionState().NegotiatedProtocol; got != alpn {
		return nil, fmt.Errorf("ALPN %q, want %q", got, alpn)
	}
	return tc, nil
}

// stream opens one stream, calls ready once its header is in, and reads
// until the connection is closed.
func (cl *client) stream(ctx context.Context, ready func()) error {
	c, err := cl.dial(ctx)
	if err != nil {
		return err
	}
	if cl.c.HTTP == "1.1" {
		return cl.streamH1(c, ready)
	}
	return cl.streamH2(c, ready)
}

func (cl *client) streamH1(c net.Conn, ready func()) error {
	b := cl.body()
	var req bytes.Buffer
	fmt.Fprintf(&req, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n", subscribePath, cl.addr, cl.contentType(), len(b))
	if cl.c.Protocol == "connect" {
		req.WriteString("Connect-Protocol-Version: 1\r\n")
	} else {
		req.WriteString("X-Grpc-Web: 1\r\n")
	}
	req.WriteString("\r\n")
	req.Write(b)
	if _, err := c.Write(req.Bytes()); err != nil {
		return err
	}
	resp, err := http.ReadResponse(bufio.NewReaderSize(c, 4096), nil)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %s", resp.Status)
	}
	ready()
	buf := make([]byte, 512)
	for {
		n, err := resp.Body.Read(buf)
		if n > 0 {
			cl.data.Add(1)
		}
		if err != nil {
			return nil // closed by close()
		}
	}
}

// streamH2 speaks as Chromium does: its SETTINGS and connection window,
// HEADERS without waiting for the server's SETTINGS, request DATA apart.
func (cl *client) streamH2(c net.Conn, ready func()) error {
	var wmu sync.Mutex
	fr := http2.NewFramer(c, bufio.NewReaderSize(c, 4096))
	fr.ReadMetaHeaders = hpack.NewDecoder(65536, nil)
	_, _ = io.WriteString(c, http2.ClientPreface)
	_ = fr.WriteSettings(http2.Setting{ID: http2.SettingHeaderTableSize, Val: 65536}, http2.Setting{ID: http2.SettingEnablePush, Val: 0},
		http2.Setting{ID: http2.SettingInitialWindowSize, Val: 6291456}, http2.Setting{ID: http2.SettingMaxHeaderListSize, Val: 262144})
	_ = fr.WriteWindowUpdate(0, 15663105)
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	scheme := "http"
	if cl.c.TLS {
		scheme = "https"
	}
	fields := [][2]string{{":method", "POST"}, {":authority", cl.addr}, {":scheme", scheme}, {":path", subscribePath}, {"content-type", cl.contentType()}}
	switch cl.c.Protocol {
	case "grpc":
		fields = append(fields, [2]string{"te", "trailers"})
	case "connect":
		fields = append(fields, [2]string{"connect-protocol-version", "1"})
	default:
		fields = append(fields, [2]string{"x-grpc-web", "1"})
	}
	for _, f := range fields {
		_ = enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: hb.Bytes(), EndHeaders: true})
	_ = fr.WriteData(1, true, cl.body())
	gotHeader := false
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			if gotHeader {
				return nil // closed by close()
			}
			return err
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				wmu.Lock()
				_ = fr.WriteSettingsAck()
				wmu.Unlock()
			}
		case *http2.PingFrame:
			if !f.IsAck() {
				wmu.Lock()
				_ = fr.WritePing(true, f.Data)
				wmu.Unlock()
			}
		case *http2.MetaHeadersFrame:
			if f.StreamEnded() {
				return fmt.Errorf("stream ended: status %s grpc-status %s", f.PseudoValue("status"), header(f, "grpc-status"))
			}
			if !gotHeader {
				if s := f.PseudoValue("status"); s != "200" {
					return fmt.Errorf("status %s", s)
				}
				gotHeader = true
				ready()
			}
		case *http2.DataFrame:
			cl.data.Add(1)
		case *http2.RSTStreamFrame:
			return fmt.Errorf("RST_STREAM %v", f.ErrCode)
		case *http2.GoAwayFrame:
			return fmt.Errorf("GOAWAY %v %s", f.ErrCode, f.DebugData())
		}
	}
}

func header(f *http2.MetaHeadersFrame, name string) string {
	for _, hf := range f.Fields {
		if hf.Name == name {
			return hf.Value
		}
	}
	return ""
}

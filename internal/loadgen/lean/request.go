package lean

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/textproto"
	"strconv"

	"golang.org/x/net/http2/hpack"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
)

// SubscribePath is the method every client calls.
const SubscribePath = gatewayv1.Gateway_Subscribe_FullMethodName

// Browser identity: Chromium's user agent, and connect-web's for
// gRPC-Web. They only size the request, which is sent before any
// measurement.
const (
	chromeUserAgent     = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"
	connectWebUserAgent = "connect-es/2.3.0"
)

// requests builds a client kind's requests: header fields in the order
// the real client sends them, and the enveloped SubscribeRequest body.
type requests struct {
	cfg         *Config
	contentType string
	scheme      string
}

func newRequests(cfg *Config) *requests {
	r := &requests{cfg: cfg, scheme: "http"}
	if cfg.TLS != nil {
		r.scheme = "https"
	}
	switch cfg.Protocol {
	case ProtocolGRPC:
		r.contentType = "application/grpc"
		if cfg.Codec == CodecJSON {
			r.contentType += "+json"
		}
	case ProtocolConnect:
		r.contentType = "application/connect+" + cfg.Codec
	case ProtocolGRPCWeb:
		r.contentType = "application/grpc-web+" + cfg.Codec
	}
	return r
}

// body is client userID's request: an envelope (flags 0, length) around
// the SubscribeRequest in the codec's encoding.
func (r *requests) body(userID string) ([]byte, error) {
	req := &gatewayv1.SubscribeRequest{UserId: userID}
	var msg []byte
	var err error
	if r.cfg.Codec == CodecJSON {
		msg, err = protojson.Marshal(req)
	} else {
		msg, err = proto.Marshal(req)
	}
	if err != nil {
		return nil, fmt.Errorf("encode subscribe request: %w", err)
	}
	b := make([]byte, envelopeLen, envelopeLen+len(msg))
	binary.BigEndian.PutUint32(b[1:], uint32(len(msg)))
	return append(b, msg...), nil
}

// fields is the HTTP/2 request header of a body of bodyLen bytes.
func (r *requests) fields(bodyLen int) []hpack.HeaderField {
	f := func(name, value string) hpack.HeaderField { return hpack.HeaderField{Name: name, Value: value} }
	if r.cfg.Profile != ProfileBrowser {
		// grpc-go's order (http2_client.go createHeaderFields); no
		// grpc-timeout (bench's streams have no deadline) and no
		// grpc-accept-encoding (no compressor registered).
		return []hpack.HeaderField{
			f(":method", "POST"), f(":scheme", r.scheme), f(":path", SubscribePath),
			f(":authority", r.cfg.Authority), f("content-type", r.contentType),
			f("user-agent", "grpc-go/"+grpc.Version), f("te", "trailers"),
		}
	}
	// Chromium's order for a fetch() POST.
	hf := []hpack.HeaderField{
		f(":method", "POST"), f(":authority", r.cfg.Authority), f(":scheme", r.scheme), f(":path", SubscribePath),
		f("content-length", strconv.Itoa(bodyLen)),
	}
	hf = append(hf, r.protocolFields()...)
	return append(hf,
		f("user-agent", chromeUserAgent), f("content-type", r.contentType), f("accept", "*/*"),
		f("origin", r.scheme+"://"+r.cfg.Authority), f("sec-fetch-site", "same-origin"),
		f("sec-fetch-mode", "cors"), f("sec-fetch-dest", "empty"),
		f("accept-encoding", "gzip, deflate, br, zstd"), f("accept-language", "en-US,en;q=0.9"),
		f("priority", "u=1, i"))
}

// protocolFields are the headers connect-web adds for its protocol.
func (r *requests) protocolFields() []hpack.HeaderField {
	switch r.cfg.Protocol {
	case ProtocolConnect:
		return []hpack.HeaderField{{Name: "connect-protocol-version", Value: "1"}}
	case ProtocolGRPCWeb:
		return []hpack.HeaderField{{Name: "x-grpc-web", Value: "1"}, {Name: "x-user-agent", Value: connectWebUserAgent}}
	}
	return nil
}

// block encodes fields with enc, or with a fresh encoder (every
// connection's first request starts from an empty dynamic table) when enc
// is nil.
func block(enc *hpack.Encoder, buf *bytes.Buffer, fields []hpack.HeaderField) []byte {
	buf.Reset()
	if enc == nil {
		enc = hpack.NewEncoder(buf)
	}
	for _, f := range fields {
		_ = enc.WriteField(f) // writes to a bytes.Buffer cannot fail
	}
	return buf.Bytes()
}

// http1 is the HTTP/1.1 request of body: Chromium's header order for a
// fetch() POST, with Content-Length.
func (r *requests) http1(body []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "POST %s HTTP/1.1\r\nHost: %s\r\nConnection: keep-alive\r\nContent-Length: %d\r\n",
		SubscribePath, r.cfg.Authority, len(body))
	for _, f := range r.protocolFields() {
		fmt.Fprintf(&b, "%s: %s\r\n", textproto.CanonicalMIMEHeaderKey(f.Name), f.Value)
	}
	fmt.Fprintf(&b, "User-Agent: %s\r\nContent-Type: %s\r\nAccept: */*\r\nOrigin: %s://%s\r\n"+
		"Sec-Fetch-Site: same-origin\r\nSec-Fetch-Mode: cors\r\nSec-Fetch-Dest: empty\r\n"+
		"Accept-Encoding: gzip, deflate, br, zstd\r\nAccept-Language: en-US,en;q=0.9\r\n\r\n",
		chromeUserAgent, r.contentType, r.scheme, r.cfg.Authority)
	b.Write(body)
	return b.Bytes()
}

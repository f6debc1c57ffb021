package loadgen

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"

	"galaxy/galaxyctl/internal/loadgen/lean"
	"galaxy/galaxyctl/internal/loadgen/probe"
	"galaxy/galaxyctl/internal/loadgen/report"
	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
)

// serveConnect serves a stand-in gateway with connect-go on net/http, as
// the gateway serves browsers: Connect, gRPC-Web and gRPC, protobuf and
// JSON, over HTTP/1.1 and h2c, or with TLS over ALPN h2 and http/1.1. A
// stream gets its response header at once (connect-go flushes it with
// Send(nil)), then a heartbeat every interval.
func serveConnect(t *testing.T, interval time.Duration, withTLS bool) (string, *tls.Config) {
	t.Helper()
	hb := &gatewayv1.GatewayEvent{EventType: gatewayv1.HeartbeatEventType}
	h := connect.NewServerStreamHandler(lean.SubscribePath,
		func(ctx context.Context, _ *connect.Request[gatewayv1.SubscribeRequest], st *connect.ServerStream[gatewayv1.GatewayEvent]) error {
			if err := st.Send(nil); err != nil {
				return err
			}
			tick := time.NewTicker(interval)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return nil
				case <-tick.C:
					if err := st.Send(hb); err != nil {
						return err
					}
				}
			}
		})
	mux := http.NewServeMux()
	mux.Handle(lean.SubscribePath, h)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	var protos http.Protocols
	protos.SetHTTP1(true)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var client *tls.Config
	if withTLS {
		var server *tls.Config
		server, client = testCert(t)
		server.NextProtos = []string{"h2", "http/1.1"}
		protos.SetHTTP2(true)
		lis = tls.NewListener(lis, server)
	} else {
		protos.SetUnencryptedHTTP2(true)
	}
	srv.Protocols = &protos
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(lis)
	}()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	return lis.Addr().String(), client
}

// TestRunProtocols runs every client kind against the connect-go gateway
// and checks that every byte is attributed (residual 0), that the kernel
// agrees with the counted bytes (TCP_INFO diff 0), and that each layer of
// the heartbeat is its protocol's model.
func TestRunProtocols(t *testing.T) {
	type kind struct{ protocol, http, codec string }
	kinds := []kind{{ProtocolGRPC, HTTP2, CodecProto}, {ProtocolGRPC, HTTP2, CodecJSON}}
	for _, p := range []string{ProtocolConnect, ProtocolGRPCWeb} {
		for _, h := range []string{HTTP1, HTTP2} {
			for _, c := range []string{CodecProto, CodecJSON} {
				kinds = append(kinds, kind{p, h, c})
			}
		}
	}
	for _, withTLS := range []bool{false, true} {
		for _, k := range kinds {
			name := fmt.Sprintf("%s/%s/%s/tls=%v", k.protocol, k.http, k.codec, withTLS)
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				addr, tlsCfg := serveConnect(t, testInterval, withTLS)
				cfg := baseConfig(addr)
				cfg.Protocol, cfg.HTTP, cfg.Codec, cfg.TLS = k.protocol, k.http, k.codec, tlsCfg
				rep := runStub(t, cfg)
				checkProtocol(t, rep, withTLS)
			})
		}
	}
}

func checkProtocol(t *testing.T, rep *report.Report, withTLS bool) {
	t.Helper()
	if rep.Clients.Connected != testClients || rep.Heartbeats.OnWire < 100 {
		t.Fatalf("connected %d, heartbeats on wire %d, want %d and at least 100 (errors %v)",
			rep.Clients.Connected, rep.Heartbeats.OnWire, testClients, rep.Errors.Connect)
	}
	b := rep.Bytes
	if b.ResidualIn != 0 || b.ResidualOut != 0 || b.TLSResidualIn != 0 || b.TLSResidualOut != 0 {
		t.Errorf("residuals in %d out %d (TLS %d %d), want 0", b.ResidualIn, b.ResidualOut, b.TLSResidualIn, b.TLSResidualOut)
	}
	if probe.TCPInfoSupported {
		ti := rep.TCPInfo
		if ti.Sockets != testClients || ti.PayloadDiffIn != 0 || ti.PayloadDiffOut != 0 {
			t.Errorf("TCP_INFO over %d sockets: diff in %d out %d, want %d sockets and 0 0", ti.Sockets, ti.PayloadDiffIn, ti.PayloadDiffOut, testClients)
		}
	}
	model := report.ModelOf(rep.Config)
	if withTLS != (model.TLSRecord > 0) {
		t.Fatalf("model %+v for tls=%v", model, withTLS)
	}
	// The heartbeat's own layers match the model exactly.
	for _, l := range rep.Layers {
		if l.Direction != "in" || l.Model == nil || l.Unit != "bytes" {
			continue
		}
		if l.Layer == "tls_records" && rep.Config.Profile == ProfileGRPCGo {
			continue // the server's PING acks are records of their own
		}
		switch l.Layer {
		case "tls_records":
			// Record overhead is socket bytes less plaintext: a record read
			// but not yet decrypted when a window edge is read counts on one
			// side only, so allow one record's bytes over the window.
			if l.Diff == nil || abs(*l.Diff)*float64(rep.Heartbeats.OnWire) > maxRecordAtEdge {
				t.Errorf("layer %s: measured %v, model %v, want equal within one record over %d heartbeats", l.Layer, l.Measured, *l.Model, rep.Heartbeats.OnWire)
			}
		case "protobuf", "json", "grpc_prefix", "connect_envelope", "grpc_web_envelope",
			"http2_data_frame_header", "http1_chunk_framing":
			if l.Diff == nil || *l.Diff != 0 {
				t.Errorf("layer %s: measured %v, model %v, want equal", l.Layer, l.Measured, *l.Model)
			}
		}
	}
	if got, want := float64(b.MessagePerHeartbeat), model.Message; got != want {
		t.Errorf("message_per_heartbeat = %v, want %v", got, want)
	}
}

// maxRecordAtEdge is the most TLS bytes one heartbeat's record can leave
// on one side of a window edge: 5 header + 47 plaintext + 17 type and tag.
const maxRecordAtEdge = 69

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

package pipeline

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"galaxy/galaxyctl/internal/gateway"
	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
	"galaxy/galaxyctl/proto/galaxy/gateway/v1/gatewayv1connect"
	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// TestSubscribeEveryProtocol subscribes to one pipeline in every protocol,
// codec and HTTP version, plaintext and TLS, through the router, and checks
// that each stream gets the same thing: the header at once, heartbeats,
// and a published event signed with the gateway's key.
func TestSubscribeEveryProtocol(t *testing.T) {
	for _, useTLS := range []bool{false, true} {
		cfg := Config{Role: RoleAll, Heartbeat: 100 * time.Millisecond}
		scheme := "http"
		if useTLS {
			cfg.TLS, scheme = testTLS(t), "https"
		}
		p := start(t, cfg)
		base := scheme + "://" + p.Info().Addr
		for _, version := range []string{"1.1", "2"} {
			for _, protocol := range []string{"connect", "grpc-web", "grpc"} {
				for _, codec := range []string{"proto", "json"} {
					if protocol == "grpc" && version == "1.1" {
						continue
					}
					name := fmt.Sprintf("%s/%s/HTTP%s/tls=%v", protocol, codec, version, useTLS)
					t.Run(name, func(t *testing.T) {
						subscribeOnce(t, p, connectClient(base, version, protocol, codec))
					})
				}
			}
		}
	}
}

// connectClient is a connect-go Gateway client of one kind.
func connectClient(base, version, protocol, codec string) gatewayv1connect.GatewayClient {
	var ps http.Protocols
	if version == "2" {
		ps.SetHTTP2(true)
		ps.SetUnencryptedHTTP2(true)
	} else {
		ps.SetHTTP1(true)
	}
	hc := &http.Client{Transport: &http.Transport{Protocols: &ps, TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	var opts []connect.ClientOption
	switch protocol {
	case "grpc":
		opts = append(opts, connect.WithGRPC())
	case "grpc-web":
		opts = append(opts, connect.WithGRPCWeb())
	}
	if codec == "json" {
		opts = append(opts, connect.WithProtoJSON())
	}
	return gatewayv1connect.NewGatewayClient(hc, base, opts...)
}

func subscribeOnce(t *testing.T, p *Pipeline, client gatewayv1connect.GatewayClient) {
	t.Helper()
	ctx := testContext(t)
	user := fmt.Sprintf("u-%d", time.Now().UnixNano())
	st, err := client.Subscribe(ctx, connect.NewRequest(&gatewayv1.SubscribeRequest{UserId: user}))
	if err != nil {
		t.Fatalf("Subscribe() = %v", err)
	}
	defer st.Close()
	if !st.Receive() || st.Msg().GetEventType() != gatewayv1.HeartbeatEventType {
		t.Fatalf("first message = %v, %v; want a heartbeat", st.Msg(), st.Err())
	}
	conn := dial(t, p.Info().Addr, tlsDialOption(p))
	if _, err := pushv1.NewPushClient(conn).Publish(ctx, &pushv1.PublishRequest{EventType: "order.created", UserId: user, Payload: []byte("{}")}); err != nil {
		t.Fatalf("Publish() = %v", err)
	}
	for st.Receive() {
		ev := st.Msg()
		if ev.GetEventType() == gatewayv1.HeartbeatEventType {
			continue
		}
		if ev.GetEventType() != "order.created" || !gateway.Verify(p.Info().PublicKey, ev) {
			t.Fatalf("event = %v, want order.created signed by the gateway", ev)
		}
		return
	}
	t.Fatalf("stream ended before the event: %v", st.Err())
}

// tlsDialOption trusts p's test certificate when it serves TLS.
func tlsDialOption(p *Pipeline) grpc.DialOption {
	if !p.Info().TLS {
		return grpc.EmptyDialOption{}
	}
	return grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{InsecureSkipVerify: true}))
}

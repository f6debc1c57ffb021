package cli

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"galaxy/galaxyctl/internal/testutil"
	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// TestServeAddrErrors: an address serve cannot bind fails the run (exit 1)
// with an error that names the flag.
func TestServeAddrErrors(t *testing.T) {
	verifyNoLeaks(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	addr := busy.Addr().String()
	for _, args := range [][]string{
		{"--listen", addr},
		{"--listen", "127.0.0.1:0", "--metrics-listen", addr},
	} {
		flag := args[len(args)-2]
		streams, _, errOut := testStreams()
		code := Main(testContext(t), append([]string{"serve", "--log-level", "error"}, args...), streams)
		want := fmt.Sprintf("Error: %s %s: listen tcp %s: bind: address already in use", flag, addr, addr)
		if code != ExitFailure || !strings.Contains(errOut.String(), want) {
			t.Errorf("serve %v = exit %d, stderr %q; want %d and %q", args, code, errOut, ExitFailure, want)
		}
	}
}

// TestServeGatewayOverTLS runs a gateway alone against a backend alone that
// serves a self-signed certificate, trusted with --backend-cacert: an event
// published to the backend reaches the gateway's client.
func TestServeGatewayOverTLS(t *testing.T) {
	verifyNoLeaks(t)
	ctx := testContext(t)
	be := startInproc(ctx, t, "--role", "backend", "--tls-self-signed")
	gw := startInproc(ctx, t, "--role", "gateway", "--backend", be.addr, "--backend-cacert", be.info.TLSCAFile,
		"--heartbeat", "0", "--log-level", "info")
	testutil.WaitFor(ctx, t, "the gateway to subscribe", func() bool { return strings.Contains(gw.stderr.String(), "subscribed to backend") })

	st, err := gatewayv1.NewGatewayClient(gw.dial(t)).Subscribe(ctx, &gatewayv1.SubscribeRequest{})
	if err == nil {
		_, err = st.Header()
	}
	if err != nil {
		t.Fatalf("gateway Subscribe() = %v", err)
	}
	pemBytes, err := os.ReadFile(be.info.TLSCAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pemBytes)
	conn, err := grpc.NewClient(be.addr, grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12})))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := pushv1.NewPushClient(conn).Publish(ctx, &pushv1.PublishRequest{EventType: "over.tls"}); err != nil {
		t.Fatalf("Publish() over TLS = %v", err)
	}
	if ev, err := st.Recv(); err != nil || ev.GetEventType() != "over.tls" {
		t.Errorf("gateway Recv() = %v, %v; want the event published over TLS", ev, err)
	}
}

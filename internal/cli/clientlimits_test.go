package cli

import (
	"context"
	"net"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
)

// bigHeaderGateway answers Subscribe with a 32 KiB response header, then
// holds the stream.
type bigHeaderGateway struct {
	gatewayv1.UnimplementedGatewayServer
}

func (bigHeaderGateway) Subscribe(_ *gatewayv1.SubscribeRequest, st grpc.ServerStreamingServer[gatewayv1.GatewayEvent]) error {
	if err := st.SendHeader(metadata.Pairs("x-pad", strings.Repeat("p", 32<<10))); err != nil {
		return err
	}
	<-st.Context().Done()
	return nil
}

// TestClientHeaderLimit: galaxyctl's clients refuse a response header
// list over 16 KiB (grpc-go's default lets a server make a client hold
// 16 MiB per stream), so tail fails at once instead of holding it. A
// grpc-go server honours the limit the client advertises and resets the
// stream (Internal: stream terminated by RST_STREAM); one that ignores it
// meets the client's own check (Internal: peer header list size exceeded
// limit).
func TestClientHeaderLimit(t *testing.T) {
	verifyNoLeaks(t)
	srv := grpc.NewServer()
	gatewayv1.RegisterGatewayServer(srv, bigHeaderGateway{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan struct{})
	go func() { _ = srv.Serve(ln); close(served) }()
	defer func() { srv.Stop(); <-served }()

	streams, _, errOut := testStreams()
	ctx, cancel := context.WithCancel(testContext(t))
	defer cancel()
	code := Main(ctx, []string{"tail", "--target", "gateway", "--addr", ln.Addr().String(), "--no-reconnect"}, streams)
	if code != ExitFailure || !strings.Contains(errOut.String(), "Internal") {
		t.Errorf("tail against a 32 KiB response header = exit %d, stderr %q; want %d and an Internal error", code, errOut, ExitFailure)
	}
}

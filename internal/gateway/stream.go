package gateway

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
)

// ClientStream is one client's Subscribe stream as the fan-out drives it,
// whatever protocol carries it: Subscribe adapts grpc-go's server stream
// (grpcStream), and a Connect or gRPC-Web handler on net/http adapts its
// response stream the same way, so every stack gets the same window,
// heartbeat and bounds.
type ClientStream interface {
	// Peer names the client for logs: its remote address.
	Peer() string
	// Context is done when the client goes away or the handler returns.
	// When the server stack tracks its connections it carries the
	// stream's connection (see ConnFromContext).
	Context() context.Context
	// SendHeader sends the response header, once, before any Send.
	SendHeader(metadata.MD) error
	// Send sends one event. Calls never overlap. It may block on flow
	// control, and must return once Context is done.
	Send(*gatewayv1.GatewayEvent) error
}

// grpcStream is a grpc-go server stream as a ClientStream.
type grpcStream struct {
	grpc.ServerStreamingServer[gatewayv1.GatewayEvent]
}

func (s grpcStream) Peer() string {
	if p, ok := peer.FromContext(s.Context()); ok && p.Addr != nil {
		return p.Addr.String()
	}
	return ""
}

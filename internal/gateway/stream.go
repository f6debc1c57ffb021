package gateway

import (
	"context"

	"google.golang.org/grpc/metadata"

	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
)

// ClientStream is one client's Subscribe stream as the fan-out drives it,
// whatever protocol carries it: grpc-go's server stream satisfies it as it
// is, and a Connect or gRPC-Web handler on net/http adapts its response
// stream to it, so every stack gets the same window, heartbeat and bounds.
type ClientStream interface {
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

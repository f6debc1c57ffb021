package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"

	"galaxy/galaxyctl/internal/backoff"
	"galaxy/galaxyctl/internal/subscribe"
	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
)

// errGatewayClosed is the failure of a stream the gateway ended with status
// OK.
var errGatewayClosed = errors.New("the gateway closed the stream")

// runGateway holds a client stream as a browser would. A gateway does not
// resume, so a reconnect only re-subscribes; the same backoff loop as the
// subscriber's spreads reconnects out.
func (o *tailOptions) runGateway(ctx context.Context, conn *grpc.ClientConn, p *eventPrinter, st *tailState) error {
	log := o.g.Logger()
	client := gatewayv1.NewGatewayClient(conn)
	retry := backoff.Retry{
		Config: o.backoff(),
		Rand:   o.rand,
		Clock:  o.clock,
		OnRetry: func(err error, attempt int, delay time.Duration) {
			log.Warn("stream lost; reconnecting", zap.String("addr", o.client.addr), zap.Error(err),
				zap.Int("attempt", attempt+1), zap.Duration("backoff", delay))
		},
	}
	err := retry.Run(ctx, func(ctx context.Context, _ int) (bool, error) {
		received, err := o.gatewayStream(ctx, client, p, st)
		if err == nil {
			err = errGatewayClosed
		}
		if o.noReconnect || subscribe.IsTerminal(status.Code(err)) || isTLSFailure(err) {
			return received, backoff.Permanent(err)
		}
		return received, err
	})
	if err != nil {
		return fmt.Errorf("tail gateway %s: %w", o.client.addr, describeRPCError(err))
	}
	return nil
}

// gatewayStream runs one stream until it fails; it reports whether any
// message arrived, which resets the backoff.
func (o *tailOptions) gatewayStream(ctx context.Context, client gatewayv1.GatewayClient, p *eventPrinter, st *tailState) (bool, error) {
	stream, err := client.Subscribe(ctx, &gatewayv1.SubscribeRequest{UserId: o.user})
	if err != nil {
		return false, err
	}
	received := false
	for {
		ev, err := stream.Recv()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return received, nil
			}
			return received, err
		}
		received = true
		// Buffered messages keep arriving after --count cancelled ctx.
		if err := ctx.Err(); err != nil {
			return received, err
		}
		if ev.GetEventType() == gatewayv1.HeartbeatEventType {
			if err := p.printHeartbeat(); err != nil {
				return received, err
			}
			continue
		}
		if err := p.printGateway(ev); err != nil {
			return received, err
		}
		st.printed(ev.GetEventId())
	}
}

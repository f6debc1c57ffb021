package cli

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc"

	"galaxy/galaxyctl/internal/gateway"
	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// runGateway holds a client stream as a browser would, resuming after the
// last event it printed (last_event_id) on every reconnect, so events
// still in the gateway's window arrive exactly once.
func (o *tailOptions) runGateway(ctx context.Context, conn *grpc.ClientConn, p *eventPrinter, st *tailState) error {
	log := o.g.Logger()
	f, err := gateway.NewFollower(gateway.FollowConfig{
		Client:      gatewayv1.NewGatewayClient(conn),
		UserID:      o.user,
		LastEventID: o.cursor,
		Backoff:     o.backoff(),
		NoReconnect: o.noReconnect,
		// A certificate that fails verification fails every retry the
		// same way: tail ends with it instead of retrying for ever.
		Permanent: isTLSFailure,
		Clock:     o.clock,
		Rand:      o.rand,
		Handler: func(_ context.Context, ev *gatewayv1.GatewayEvent) error {
			if ev.GetEventType() == gatewayv1.HeartbeatEventType {
				return p.printHeartbeat()
			}
			if err := p.printGateway(ev); err != nil {
				return err
			}
			st.printed(ev.GetEventId())
			return nil
		},
		OnStart: o.reportGatewayStart,
		OnRetry: func(err error, attempt int, delay time.Duration) {
			log.Warn("stream lost; reconnecting", zap.String("addr", o.client.addr), zap.Error(err),
				zap.Int("attempt", attempt+1), zap.Duration("backoff", delay))
		},
	})
	if err != nil {
		return err
	}
	err = f.Run(ctx)
	if id := f.LastEventID(); id != "" {
		st.mu.Lock()
		st.cursor = id
		st.mu.Unlock()
	}
	if err != nil {
		return fmt.Errorf("tail gateway %s: %w", o.client.addr, describeRPCError(err))
	}
	return nil
}

// reportGatewayStart warns when the gateway could not resume after the
// event id: its window no longer holds it, so events may have been missed.
func (o *tailOptions) reportGatewayStart(fs gateway.FollowStart) {
	if fs.Start != pushv1.StartReset {
		return
	}
	missed := "an unknown number of"
	if fs.Missed >= 0 {
		missed = fmt.Sprint(fs.Missed)
	}
	// A warning on stderr: a failed write leaves nothing to do.
	_, _ = fmt.Fprintf(o.g.streams.ErrOut, "warning: event_id %s is not in the gateway's window of recent events (too old, or from another backend incarnation): %s events were missed; replaying the whole window\n",
		fs.LastEventID, missed)
}

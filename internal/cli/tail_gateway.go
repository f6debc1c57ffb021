package cli

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"google.golang.org/grpc"

	"galaxy/galaxyctl/internal/gateway"
	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// runGateway holds a client stream as a browser would, resuming after the
// last event it received (last_event_id) on every reconnect, so events
// still in the gateway's window arrive exactly once.
func (o *tailOptions) runGateway(ctx context.Context, conn *grpc.ClientConn, p *eventPrinter, st *tailState) error {
	f, err := gateway.NewFollower(gateway.FollowConfig{
		Client:      gatewayv1.NewGatewayClient(conn),
		UserID:      o.user,
		LastEventID: o.cursor,
		Backoff:     o.backoff(),
		NoReconnect: o.noReconnect,
		// A failure that fails every retry alike ends tail at once.
		Permanent: func(err error) bool { return o.permanent(ctx, err) },
		Clock:     o.clock,
		Rand:      o.rand,
		Handler: func(_ context.Context, ev *gatewayv1.GatewayEvent) error {
			return o.handleGateway(ev, p, st)
		},
		OnStart: func(fs gateway.FollowStart) {
			st.started()
			p.streamStarted()
			o.reportGatewayStart(fs)
		},
		OnRetry: func(err error, attempt int, delay time.Duration) {
			st.failed(err)
			o.logRetry(err, attempt, delay)
		},
	})
	if err != nil {
		return err
	}
	err = f.Run(ctx)
	if id := f.LastEventID(); id != "" {
		st.setCursor(id)
	}
	if err != nil {
		st.failed(err)
		return fmt.Errorf("tail gateway %s: %w", o.client.addr, describeRPCError(err))
	}
	return nil
}

// handleGateway prints one message of a gateway stream: heartbeats with
// --heartbeats (then --count counts them), events that pass --type.
func (o *tailOptions) handleGateway(ev *gatewayv1.GatewayEvent, p *eventPrinter, st *tailState) error {
	if ev.GetEventType() == gatewayv1.HeartbeatEventType {
		printed, err := p.printHeartbeat()
		if printed && err == nil {
			st.printed()
		}
		return err
	}
	st.receivedEvent()
	p.message()
	if !o.wants(ev.GetEventType(), ev.GetUserId()) {
		return nil
	}
	if err := p.printGateway(ev); err != nil {
		return err
	}
	st.printed()
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
	o.g.say(zapcore.WarnLevel, fmt.Sprintf("warning: event_id %s is not in the gateway's window of recent events (too old, or from another backend incarnation): %s events were missed; replaying the whole window",
		fs.LastEventID, missed), zap.String("last_event_id", fs.LastEventID), zap.Int64("missed", fs.Missed))
}

package backend

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// sendBatch is how many events a sender takes from the ring per lock. It
// bounds what one blocked sender holds on to after the ring let go.
const sendBatch = 64

// SubscribePush streams events to one gateway, as the Push protocol says:
// the response header tells how the stream starts (see pushv1.MetadataStart),
// the replay follows, then live events, without gap or duplicate. The stream
// ends when the client goes away, a newer subscription takes its
// gateway_client_id (Aborted), it falls behind (ResourceExhausted), or the
// server closes (Unavailable).
func (s *Server) SubscribePush(req *pushv1.GatewaySubscribeRequest, stream grpc.ServerStreamingServer[pushv1.PushEvent]) error {
	sub, md, err := s.open(req, s.cfg.Clock.Now())
	if err != nil {
		return err
	}
	defer func() {
		s.mu.Lock()
		s.removeLocked(sub)
		s.mu.Unlock()
	}()
	log := s.log.With(zap.String("gateway_client_id", sub.id))
	log.Debug("subscription started", zap.Strings("start", md.Get(pushv1.MetadataStart)), zap.Uint64("from", sub.next))
	// The header goes out before any event, even with nothing to replay, so
	// the subscriber learns at once whether its cursor was honoured.
	if err := stream.SendHeader(md); err != nil {
		return err
	}
	// Sending happens on its own goroutine so that this one can return the
	// moment the backend ends the stream: a Send blocked on a reader that
	// stopped reading is released only when the handler returns.
	ctx := stream.Context()
	sendErr := make(chan error, 1)
	go func() { sendErr <- s.pump(ctx, sub, stream) }()
	select {
	case <-sub.done:
		err = sub.err
	case err = <-sendErr:
	case <-ctx.Done():
		err = status.FromContextError(ctx.Err()).Err()
	}
	log.Debug("subscription ended", zap.Error(err))
	return err
}

// open validates req, decides where its stream starts, and registers it,
// ending the subscription it replaces. It returns the response header.
func (s *Server) open(req *pushv1.GatewaySubscribeRequest, now time.Time) (*subscription, metadata.MD, error) {
	id := req.GetGatewayClientId()
	if id == "" {
		return nil, nil, status.Error(codes.InvalidArgument, "gateway_client_id is required")
	}
	if len(id) > MaxClientIDBytes {
		return nil, nil, status.Errorf(codes.InvalidArgument, "gateway_client_id is %d bytes, over the limit of %d bytes", len(id), MaxClientIDBytes)
	}
	var cur Cursor
	if req.GetCursor() != "" {
		var err error
		if cur, err = ParseCursor(req.GetCursor()); err != nil {
			return nil, nil, status.Error(codes.InvalidArgument, err.Error())
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, nil, errShuttingDown
	}
	s.expireLocked(now)
	oldest, next := s.ring.oldest(), s.ring.next
	md := metadata.Pairs(pushv1.MetadataIncarnation, fmt.Sprintf("%016x", s.inc))
	var start uint64
	switch {
	case req.GetCursor() == "" && !req.GetFromStart():
		start = next
		md.Set(pushv1.MetadataStart, pushv1.StartLive)
	case req.GetCursor() == "":
		start = oldest
		md.Set(pushv1.MetadataStart, pushv1.StartOldest)
	case cur.Incarnation != s.inc:
		start = oldest
		md.Set(pushv1.MetadataStart, pushv1.StartReset)
		md.Set(pushv1.MetadataResetReason, pushv1.ReasonIncarnation)
		md.Set(pushv1.MetadataMissed, pushv1.MissedUnknown)
	case cur.Seq >= next:
		return nil, nil, status.Errorf(codes.InvalidArgument,
			"cursor is ahead of the backend: event %d of incarnation %016x was never published (the last is %d)", cur.Seq, s.inc, next-1)
	case cur.Seq+1 >= oldest:
		// Everything after the cursor is still here, even when the
		// cursor's own event is not: nothing was missed.
		start = cur.Seq + 1
		md.Set(pushv1.MetadataStart, pushv1.StartResume)
	default:
		start = oldest
		md.Set(pushv1.MetadataStart, pushv1.StartReset)
		md.Set(pushv1.MetadataResetReason, pushv1.ReasonExpired)
		md.Set(pushv1.MetadataMissed, strconv.FormatUint(oldest-cur.Seq-1, 10))
	}

	md.Set(pushv1.MetadataResumeCursor, FormatCursor(Cursor{Incarnation: s.inc, Seq: start - 1}))

	if old := s.subs[id]; old != nil {
		s.in.replaced.Add(context.Background(), 1)
		s.log.Info("replacing subscription", zap.String("gateway_client_id", id))
		s.endLocked(old, status.Errorf(codes.Aborted, "replaced by a newer subscription for gateway_client_id %s", id))
	}
	sub := newSubscription(id, start, next)
	sub.counted = true
	s.subs[id] = sub
	s.in.subs.Add(context.Background(), 1)
	if mode := md.Get(pushv1.MetadataStart)[0]; mode != pushv1.StartLive {
		s.in.replayed(mode)
	}
	return sub, md, nil
}

// pump sends sub its events until the stream fails or the backend ends sub.
// It holds the lock only to copy event pointers, never while sending.
func (s *Server) pump(ctx context.Context, sub *subscription, stream grpc.ServerStreamingServer[pushv1.PushEvent]) error {
	batch := make([]*pushv1.PushEvent, 0, sendBatch)
	for {
		first, taken, err := s.take(sub, batch[:0])
		if err != nil {
			return err
		}
		if len(taken) == 0 {
			select {
			case <-sub.notify:
				continue
			case <-sub.done:
				return sub.err
			case <-ctx.Done():
				return status.FromContextError(ctx.Err()).Err()
			}
		}
		for i, ev := range taken {
			if err := stream.Send(ev); err != nil {
				return err
			}
			sub.sent.Store(first + uint64(i) + 1)
		}
		// Drop the pointers so evicted events can be collected while this
		// sender waits for the next wake-up.
		clear(taken)
		batch = taken
	}
}

// take copies into dst the next events sub has not taken, and returns the
// sequence number of the first.
func (s *Server) take(sub *subscription, dst []*pushv1.PushEvent) (uint64, []*pushv1.PushEvent, error) {
	now := s.cfg.Clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if sub.err == nil {
		s.expireLocked(now)
	}
	if sub.err != nil {
		return 0, dst, sub.err
	}
	first := sub.next
	dst = s.ring.appendFrom(dst, first, sendBatch)
	sub.next += uint64(len(dst))
	return first, dst, nil
}

package faulttest

import (
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"galaxy/galaxyctl/internal/backend"
	"galaxy/galaxyctl/internal/subscribe"
	"galaxy/galaxyctl/internal/testutil"
	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// Bounds on finding a black-holed connection. Keepalive finds it at
// last read + ping time + ping timeout, and the last read is at most one
// server ping time before the hole opens (the server's pings keep an idle
// line busy).
const (
	// serverDetectMax: the server finds it within serverPingTime +
	// pingTimeout, plus 1 s for scheduling on a loaded 2-core machine under
	// the race detector: 2.2 s.
	serverDetectMax = serverPingTime + pingTimeout + time.Second
	// clientDetectLatest: the client finds it within clientPingTime +
	// pingTimeout, plus up to 1 s more that grpc-go's transport Close may
	// wait for the server's answer to its GOAWAY (a read deadline of 1 s)
	// before it fails the streams, plus 1 s for scheduling: 12.2 s.
	// Measured: 10.20 s, once 11.21 s.
	clientDetectLatest = clientPingTime + pingTimeout + 2*time.Second
	// clientDetectEarliest: nothing but the client's own keepalive may end the
	// stream, so not before clientPingTime - serverPingTime = 9 s (the
	// server's pings, answered before the hole, may have been the last
	// read). Sooner would mean a close leaked through the hole.
	clientDetectEarliest = clientPingTime - serverPingTime
)

// TestHalfOpenConnection black-holes the subscriber's connection: each side
// sees a connection that is up and silent, with no FIN and no reset. gRPC
// keepalive must find it on both sides within the bounds above; the
// subscriber must then reconnect over a new connection (new connections
// flow) and resume from its cursor with no loss or duplicate.
//
// grpc-go will not let a client ping more often than every 10 s, so this
// scenario takes about 10 s; it runs in parallel with the others.
func TestHalfOpenConnection(t *testing.T) {
	t.Parallel()
	ctx := testContext(t, clientDetectLatest+10*time.Second)
	b := startBackend(t, backend.Config{}, serverKeepalive)
	p := startProxy(t, ctx, b.addr)
	rec := newRecorder()
	runSubscriber(t, ctx, rec.configure(subscribe.Config{
		ClientID:  "gw-half-open",
		Client:    pushv1.NewPushClient(dial(t, p.Addr())),
		FromStart: true,
		Backoff:   quickBackoff,
	}))
	rec.wait(t, ctx, "the first stream", func(s snapshot) bool { return len(s.starts) == 1 })
	published := b.publish(10)
	rec.waitHandled(t, ctx, published[9])

	holed := time.Now()
	if n := p.BlackHole(true); n != 1 {
		t.Fatalf("BlackHole(true) = %d, want the subscriber's 1 connection", n)
	}
	forwarded := p.Stats().Forwarded
	// Sent into the hole; the subscriber must get them after it resumes.
	published = append(published, b.publish(10)...)

	// The server's keepalive ends its side first: the subscription goes.
	testutil.WaitFor(ctx, t, "the backend to drop the black-holed subscription", func() bool { return b.srv.Stats().Subscriptions == 0 })
	serverDetect := time.Since(holed)
	// Until the client gives up, nothing may pass the hole: no byte, and
	// so no event.
	if got := p.Stats().Forwarded; got != forwarded {
		t.Errorf("the proxy forwarded %d bytes through the hole, want none", got-forwarded)
	}
	if s := rec.snapshot(); len(s.handled) != 10 || len(s.retries) != 0 {
		t.Errorf("while black-holed the subscriber handled %d events and retried %d times, want 10 and 0", len(s.handled), len(s.retries))
	}

	got := rec.wait(t, ctx, "the subscriber to give up the black-holed stream", func(s snapshot) bool { return len(s.retries) >= 1 })
	clientDetect := got.retries[0].at.Sub(holed)
	if code := status.Code(got.retries[0].err); code != codes.Unavailable {
		t.Errorf("the black-holed stream ended with %v (%v), want Unavailable", code, got.retries[0].err)
	}
	t.Logf("half-open connection found by the server after %v, by the client after %v", serverDetect, clientDetect)
	if serverDetect > serverDetectMax {
		t.Errorf("server found the half-open connection after %v, want at most %v", serverDetect, serverDetectMax)
	}
	if clientDetect < clientDetectEarliest || clientDetect > clientDetectLatest {
		t.Errorf("client found the half-open connection after %v, want between %v and %v", clientDetect, clientDetectEarliest, clientDetectLatest)
	}

	published = append(published, b.publish(10)...)
	got = rec.waitHandled(t, ctx, published[len(published)-1])
	if diff := compareDelivery(published, got.handled); diff != "" {
		t.Errorf("across the half-open connection: %s", diff)
	}
	if len(got.starts) != 2 || got.starts[1].info.Start != pushv1.StartResume || got.starts[1].info.Cursor != published[9] {
		t.Errorf("streams = %+v, want a second that resumes after %s", got.starts, published[9])
	}
	// Both ends of the black-holed connection have now given up on it:
	// only the new one is left.
	if err := p.WaitConns(ctx, 1); err != nil {
		t.Error(err)
	}
}

package faulttest

import (
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"galaxy/galaxyctl/internal/backend"
	"galaxy/galaxyctl/internal/subscribe"
	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// TestReplacedSubscription starts a second subscriber with the id of a
// running one: the backend must end the older stream with Aborted. Since
// a subscriber reconnects after Aborted, two with one id would fight for
// ever; the test ends the newer once the older has seen its Aborted, and
// then checks that the older resumed without loss or duplicate, and that
// subscribers with other ids, running throughout, were never disturbed.
func TestReplacedSubscription(t *testing.T) {
	t.Parallel()
	ctx := testContext(t, 10*time.Second)
	b := startBackend(t, backend.Config{})
	p := startProxy(t, ctx, b.addr)
	client := pushv1.NewPushClient(dial(t, p.Addr()))
	newSub := func(id string, rec *recorder) func() error {
		stop := runSubscriber(t, ctx, rec.configure(subscribe.Config{
			ClientID:  id,
			Client:    client,
			FromStart: true,
			Backoff:   quickBackoff,
		}))
		rec.wait(t, ctx, id+"'s first stream", func(s snapshot) bool { return len(s.starts) >= 1 })
		return stop
	}
	bystanders := map[string]*recorder{"gw-b": newRecorder(), "gw-c": newRecorder()}
	for id, rec := range bystanders {
		newSub(id, rec)
	}
	older, newer := newRecorder(), newRecorder()
	newSub("gw-a", older)
	published := b.publish(10)
	older.waitHandled(t, ctx, published[9])

	stopNewer := newSub("gw-a", newer)
	got := older.wait(t, ctx, "the older gw-a to be replaced", func(s snapshot) bool { return len(s.retries) >= 1 })
	if code := status.Code(got.retries[0].err); code != codes.Aborted {
		t.Errorf("the older gw-a's stream ended with %v (%v), want Aborted", code, got.retries[0].err)
	}
	published = append(published, b.publish(10)...)
	if err := stopNewer(); err != nil {
		t.Errorf("the newer gw-a's Run() = %v, want nil after cancel", err)
	}

	// The older takes its id back and catches up from its cursor.
	published = append(published, b.publish(10)...)
	got = older.waitHandled(t, ctx, published[len(published)-1])
	if diff := compareDelivery(published, got.handled); diff != "" {
		t.Errorf("the older gw-a, replaced and back: %s", diff)
	}
	for _, r := range got.retries {
		if code := status.Code(r.err); code != codes.Aborted {
			t.Errorf("the older gw-a retried after %v (%v), want only Aborted", code, r.err)
		}
	}
	for id, rec := range bystanders {
		s := rec.waitHandled(t, ctx, published[len(published)-1])
		if diff := compareDelivery(published, s.handled); diff != "" {
			t.Errorf("%s: %s", id, diff)
		}
		if len(s.retries) != 0 || len(s.starts) != 1 {
			t.Errorf("%s: %d retries (first %v), %d streams, want one stream never ended", id, len(s.retries), s.retries, len(s.starts))
		}
	}
	if got := b.srv.Stats().Subscriptions; got != 3 {
		t.Errorf("backend subscriptions at the end = %d, want 3 (gw-a, gw-b, gw-c)", got)
	}
}

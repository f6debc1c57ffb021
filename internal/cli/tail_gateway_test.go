package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// TestTailGatewayResume tails a gateway for three events while events are
// published, runs the resume command it prints (the first event_id it did
// not print comes from the gateway's window), and checks that the two runs
// together saw the published sequence with no event missing or twice.
func TestTailGatewayResume(t *testing.T) {
	verifyNoLeaks(t)
	ctx := testContext(t)
	s := startInproc(ctx, t, "--heartbeat", "0")
	push := pushv1.NewPushClient(s.dial(t))

	// Publish until told to stop; the tail starts live, so events flow
	// from before it subscribes to after the resumed run ends.
	var mu sync.Mutex
	var published []string
	pctx, stopPublishing := context.WithCancel(ctx)
	publisherDone := make(chan struct{})
	go func() {
		defer close(publisherDone)
		for i := 0; pctx.Err() == nil; i++ {
			resp, err := push.Publish(pctx, &pushv1.PublishRequest{EventType: "t", Payload: []byte(fmt.Sprint(i))})
			if err != nil {
				return
			}
			mu.Lock()
			published = append(published, resp.GetCursor())
			mu.Unlock()
		}
	}()
	defer func() { stopPublishing(); <-publisherDone }()

	tailIDs := func(args ...string) ([]string, string) {
		t.Helper()
		streams, out, errOut := testStreams()
		argv := append([]string{"tail", "--target", "gateway", "--addr", s.addr, "-o", "json", "--log-level", "error"}, args...)
		if code := Main(ctx, argv, streams); code != ExitOK {
			t.Fatalf("Main(%v) = %d, want %d; stderr:\n%s", argv, code, ExitOK, errOut)
		}
		var ids []string
		for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			var e tailEvent
			if err := json.Unmarshal([]byte(l), &e); err != nil {
				t.Fatalf("tail -o json line %q: %v", l, err)
			}
			ids = append(ids, e.EventID)
		}
		return ids, errOut.String()
	}

	first, stderr := tailIDs("-n", "3")
	want := fmt.Sprintf("resume with: galaxyctl tail --target gateway --addr %s -o json --cursor %s\n", s.addr, first[2])
	if !strings.HasSuffix(stderr, want) {
		t.Fatalf("tail stderr = %q, want it to end %q", stderr, want)
	}
	second, _ := tailIDs("-n", "5", "--cursor", first[2])
	stopPublishing()
	<-publisherDone

	got := append(first, second...)
	mu.Lock()
	defer mu.Unlock()
	at := slices.Index(published, got[0])
	if at < 0 || at+len(got) > len(published) || !slices.Equal(published[at:at+len(got)], got) {
		t.Errorf("tail then its resume command printed %v, want %d consecutive published events (published %v)", got, len(got), published)
	}
}

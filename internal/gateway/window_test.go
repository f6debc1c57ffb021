package gateway

import (
	"fmt"
	"slices"
	"testing"
	"time"

	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
)

func gev(id, user string) *gatewayv1.GatewayEvent {
	return &gatewayv1.GatewayEvent{EventType: "t", EventId: id, UserId: user}
}

func refIDs(rs []ref) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ev.GetEventId()
	}
	return out
}

// TestWindowRing pushes past the buffer's growth steps and pops from the
// front, checking that sequence numbers stay contiguous, bytes and the id
// index follow, and collect reads the right entries.
func TestWindowRing(t *testing.T) {
	w := newWindow(40, 1<<20, time.Hour)
	at := time.Unix(0, 0)
	for i := range 40 {
		user := []string{"a", "b", ""}[i%3]
		if seq := w.push(entry{ev: gev(fmt.Sprintf("e%d", i+1), user), size: 10, at: at}); seq != uint64(i+1) {
			t.Fatalf("push %d = seq %d, want %d", i, seq, i+1)
		}
	}
	if !w.full(1) {
		t.Errorf("full(1) with 40 of 40 events = false, want true")
	}
	for range 25 {
		w.pop()
	}
	if w.oldest() != 26 || w.n != 15 || w.bytes != 150 {
		t.Errorf("after 25 pops: oldest %d, n %d, bytes %d; want 26, 15, 150", w.oldest(), w.n, w.bytes)
	}
	if _, ok := w.find("e25"); ok {
		t.Errorf("find(e25) after it was popped = found, want not")
	}
	if seq, ok := w.find("e30"); !ok || seq != 30 {
		t.Errorf("find(e30) = %d, %v; want 30, true", seq, ok)
	}
	got, after, gap := w.collect(nil, 28, "a", 3)
	if want := []string{"e28", "e30", "e31"}; !slices.Equal(refIDs(got), want) || after != 32 || gap {
		t.Errorf("collect(28, a, 3) = %v, after %d, gap %v; want %v, 32, false", refIDs(got), after, gap, want)
	}
	if _, _, gap := w.collect(nil, 25, "", 1); !gap {
		t.Errorf("collect(25) with oldest 26 = no gap, want gap")
	}
	if got, after, _ := w.collect(nil, 41, "", 8); len(got) != 0 || after != 41 {
		t.Errorf("collect(41) at the head = %v, after %d; want nothing, 41", refIDs(got), after)
	}
}

func TestWindowFull(t *testing.T) {
	tests := []struct {
		name string
		w    window
		size int
		want bool
	}{
		{"empty takes anything", window{maxEvents: 1, maxBytes: 10}, 100, false},
		{"count reached", window{n: 2, maxEvents: 2, maxBytes: 1000, bytes: 20}, 1, true},
		{"bytes over", window{n: 1, maxEvents: 9, maxBytes: 100, bytes: 60}, 41, true},
		{"bytes exactly", window{n: 1, maxEvents: 9, maxBytes: 100, bytes: 60}, 40, false},
	}
	for _, tt := range tests {
		if got := tt.w.full(tt.size); got != tt.want {
			t.Errorf("%s: full(%d) = %v, want %v", tt.name, tt.size, got, tt.want)
		}
	}
}

func TestMatches(t *testing.T) {
	tests := []struct {
		filter, user string
		want         bool
	}{
		{"", "alice", true}, {"alice", "alice", true}, {"alice", "", true}, {"alice", "bob", false}, {"", "", true},
	}
	for _, tt := range tests {
		if got := matches(tt.filter, tt.user); got != tt.want {
			t.Errorf("matches(%q, %q) = %v, want %v", tt.filter, tt.user, got, tt.want)
		}
	}
}

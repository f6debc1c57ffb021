package backend

import (
	"slices"
	"strconv"
	"testing"
	"time"

	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// pushSeqs pushes events n times, at the given time, each naming the
// sequence number it expects.
func pushSeqs(r *ring, n int, at time.Time) {
	for range n {
		r.push(entry{at: at, ev: &pushv1.PushEvent{EventType: strconv.FormatUint(r.next, 10)}})
	}
}

// ringSeqs reads every event of r through appendFrom.
func ringSeqs(r *ring) []uint64 {
	var seqs []uint64
	for _, ev := range r.appendFrom(nil, r.oldest(), r.max) {
		q, _ := strconv.ParseUint(ev.EventType, 10, 64)
		seqs = append(seqs, q)
	}
	return seqs
}

func TestRingEvictsOldestWhenFull(t *testing.T) {
	r := newRing(5)
	pushSeqs(r, 4, testStart)
	if evicted := r.push(entry{at: testStart, ev: &pushv1.PushEvent{EventType: "5"}}); evicted {
		t.Errorf("push(5th of 5) evicted = true, want false")
	}
	if evicted := r.push(entry{at: testStart, ev: &pushv1.PushEvent{EventType: "6"}}); !evicted {
		t.Errorf("push(6th of 5) evicted = false, want true")
	}
	pushSeqs(r, 14, testStart)
	if got, want := ringSeqs(r), seqRange(16, 20); !slices.Equal(got, want) {
		t.Errorf("ring after 20 pushes into 5 = %v, want %v", got, want)
	}
	if r.oldest() != 16 || r.next != 21 {
		t.Errorf("ring oldest, next = %d, %d, want 16, 21", r.oldest(), r.next)
	}
}

func TestRingGrowsInOrderAcrossWrap(t *testing.T) {
	r := newRing(100)
	pushSeqs(r, 10, testStart)
	pushSeqs(r, 6, testStart.Add(time.Second))
	// Expiring the first ten moves head to the middle of a full buffer, so
	// the next pushes wrap and then grow it.
	if n := r.expire(testStart); n != 10 {
		t.Fatalf("expire(testStart) = %d, want 10", n)
	}
	pushSeqs(r, 30, testStart.Add(time.Second))
	if got, want := ringSeqs(r), seqRange(11, 46); !slices.Equal(got, want) {
		t.Errorf("ring after growth = %v, want %v", got, want)
	}
	if got := r.appendFrom(nil, 20, 3); len(got) != 3 || got[0].EventType != "20" || got[2].EventType != "22" {
		t.Errorf("appendFrom(20, 3) = %v, want events 20, 21, 22", got)
	}
}

func TestRingExpire(t *testing.T) {
	tests := []struct {
		cutoff time.Duration // after testStart
		want   int
		left   []uint64
	}{
		{-time.Nanosecond, 0, seqRange(1, 6)},
		{0, 2, seqRange(3, 6)},
		{time.Second - time.Nanosecond, 2, seqRange(3, 6)},
		{time.Second, 4, seqRange(5, 6)},
		{time.Hour, 6, nil},
	}
	for _, tt := range tests {
		r := newRing(10)
		pushSeqs(r, 2, testStart)
		pushSeqs(r, 2, testStart.Add(time.Second))
		pushSeqs(r, 2, testStart.Add(2*time.Second))
		if got := r.expire(testStart.Add(tt.cutoff)); got != tt.want {
			t.Errorf("expire(start%+v) = %d, want %d", tt.cutoff, got, tt.want)
		}
		if got := ringSeqs(r); !slices.Equal(got, tt.left) {
			t.Errorf("after expire(start%+v) ring = %v, want %v", tt.cutoff, got, tt.left)
		}
		if r.next != 7 {
			t.Errorf("after expire(start%+v) next = %d, want 7", tt.cutoff, r.next)
		}
	}
}

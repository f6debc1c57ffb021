package loadgen

import (
	"sync/atomic"
	"time"

	"galaxy/galaxyctl/internal/loadgen/report"
)

// histRecorder counts durations into report.Histogram's buckets with
// atomic counters and no lock, so every client goroutine records its
// heartbeat gaps into one shared recorder.
type histRecorder struct {
	counts [report.HistBuckets]atomic.Uint64
	sumUS  atomic.Uint64
	maxUS  atomic.Uint64
}

func (h *histRecorder) record(d time.Duration) {
	us := uint64(max(d, 0) / time.Microsecond)
	h.counts[report.HistIndex(us)].Add(1)
	h.sumUS.Add(us)
	for {
		m := h.maxUS.Load()
		if us <= m || h.maxUS.CompareAndSwap(m, us) {
			return
		}
	}
}

// snapshot copies the counters without stopping the writers; its Count is
// the sum of its buckets, so it is self-consistent.
func (h *histRecorder) snapshot() report.Histogram {
	s := report.Histogram{SumUS: h.sumUS.Load(), MaxUS: h.maxUS.Load()}
	for i := range h.counts {
		c := h.counts[i].Load()
		s.Counts[i] = c
		s.Count += c
	}
	return s
}

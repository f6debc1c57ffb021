package loadgen

import (
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
)

// memSample is one reading of bench's own memory.
type memSample struct {
	RSS        uint64 // resident set size; 0 where /proc is missing
	HeapBytes  uint64 // bytes of live and not-yet-swept heap objects
	StackBytes uint64 // goroutine stacks
	Goroutines uint64
}

var memMetrics = []string{
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/stacks:bytes",
	"/sched/goroutines:goroutines",
}

// readMemory reads bench's memory. settle runs a GC first, so heap figures
// compare live objects rather than garbage; it is for the two samples that
// bracket the ramp, not for live snapshots.
func readMemory(settle bool) memSample {
	if settle {
		runtime.GC()
	}
	s := make([]metrics.Sample, len(memMetrics))
	for i, n := range memMetrics {
		s[i].Name = n
	}
	metrics.Read(s)
	u := func(i int) uint64 {
		if s[i].Value.Kind() == metrics.KindUint64 {
			return s[i].Value.Uint64()
		}
		return 0
	}
	m := memSample{HeapBytes: u(0), StackBytes: u(1), Goroutines: u(2)}
	m.RSS = readRSS()
	return m
}

// readRSS reads the resident set from /proc/self/statm (pages).
func readRSS() uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		return 0
	}
	return pages * uint64(os.Getpagesize())
}

package probe

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"

	"galaxy/galaxyctl/internal/loadgen/report"
)

var memMetrics = []string{
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/stacks:bytes",
	"/sched/goroutines:goroutines",
}

// ReadMemory reads this process's memory. settle runs a GC first, so heap
// figures compare live objects rather than garbage; it is for the samples
// that bracket a ramp, not for live readings.
func ReadMemory(settle bool) report.MemSample {
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
	m := report.MemSample{HeapBytes: u(0), StackBytes: u(1), Goroutines: u(2), RSS: readRSS()}
	if st, ok := ReadSockstat(); ok {
		m.KernelSocketBytes, m.KernelTCPSockets = st.TCPBytes, st.TCPAlloc
	}
	return m
}

// ReleaseMemory returns the heap's free pages to the operating system
// (debug.FreeOSMemory, which collects first). bench calls it once the
// ramp is over: the ramp's garbage (TLS handshakes above all) leaves
// pages free but resident, which the runtime's background scavenger
// gives back only over the following seconds to minutes; without it the
// memory per stream read after the warm-up would depend on how far the
// scavenger got, not on what the idle clients hold.
func ReleaseMemory() { debug.FreeOSMemory() }

// readRSS reads the resident set from /proc/self/statm (pages); 0 where
// there is no /proc.
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

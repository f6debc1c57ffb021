package probe

import (
	"os"
	"strconv"
	"strings"
)

// Sockstat is the machine's TCP sockets as /proc/net/sockstat counts
// them: sockets allocated and the pages of memory their buffers hold.
type Sockstat struct {
	TCPAlloc uint64
	TCPBytes uint64 // the mem line's pages times the page size
}

// ReadSockstat reads /proc/net/sockstat; ok is false where it is missing
// (not Linux) or unreadable.
func ReadSockstat() (Sockstat, bool) {
	b, err := os.ReadFile("/proc/net/sockstat")
	if err != nil {
		return Sockstat{}, false
	}
	return parseSockstat(string(b), uint64(os.Getpagesize()))
}

// parseSockstat reads the TCP line: "TCP: inuse 5 orphan 0 tw 2 alloc 7
// mem 1".
func parseSockstat(s string, page uint64) (Sockstat, bool) {
	for line := range strings.SplitSeq(s, "\n") {
		rest, ok := strings.CutPrefix(line, "TCP: ")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		var st Sockstat
		var found int
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.ParseUint(f[i+1], 10, 64)
			if err != nil {
				return Sockstat{}, false
			}
			switch f[i] {
			case "alloc":
				st.TCPAlloc = v
				found++
			case "mem":
				st.TCPBytes = v * page
				found++
			}
		}
		return st, found == 2
	}
	return Sockstat{}, false
}

package probe

import "testing"

func TestParseSockstat(t *testing.T) {
	in := "sockets: used 212\nTCP: inuse 5 orphan 0 tw 2 alloc 7 mem 3\nUDP: inuse 1 mem 0\n"
	got, ok := parseSockstat(in, 4096)
	if !ok || got != (Sockstat{TCPAlloc: 7, TCPBytes: 3 * 4096}) {
		t.Errorf("parseSockstat() = %+v %v, want {7 12288} true", got, ok)
	}
	for _, bad := range []string{"", "TCP: inuse 5\n", "TCP: alloc x mem 1\n"} {
		if _, ok := parseSockstat(bad, 4096); ok {
			t.Errorf("parseSockstat(%q) ok, want not", bad)
		}
	}
}

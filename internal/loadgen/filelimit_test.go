package loadgen

import (
	"runtime"
	"testing"
)

func TestCheckFileLimit(t *testing.T) {
	tests := []struct {
		clients, perConn int
		soft             uint64
		want             string
	}{
		{30000, 1, 20000, "--clients 30000 needs about 30064 open files but the limit is 20000; lower --clients, raise --streams-per-conn, or raise ulimit -n"},
		{30000, 2, 20000, ""},
		{30000, 3, 10064, ""},
		{30000, 3, 10063, "--clients 30000 needs about 10064 open files but the limit is 10063; lower --clients, raise --streams-per-conn, or raise ulimit -n"},
		{1, 1, 65, ""},
		{1, 1, 64, "--clients 1 needs about 65 open files but the limit is 64; lower --clients, raise --streams-per-conn, or raise ulimit -n"},
		{1_000_000, 1, ^uint64(0), ""},
		{7, 0, 100, ""}, // 0 streams per connection counts as 1
	}
	for _, tt := range tests {
		err := CheckFileLimit(tt.clients, tt.perConn, tt.soft)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("CheckFileLimit(%d, %d, %d) = %q, want %q", tt.clients, tt.perConn, tt.soft, got, tt.want)
		}
	}
}

func TestRaiseFileLimit(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no RLIMIT_NOFILE")
	}
	soft, hard, err := RaiseFileLimit()
	if err != nil {
		// macOS may refuse an unlimited hard limit; the limits still come back.
		t.Logf("RaiseFileLimit() error = %v", err)
	}
	if soft == 0 || soft > hard {
		t.Errorf("RaiseFileLimit() = %d, %d, want 0 < soft <= hard", soft, hard)
	}
	if err == nil && soft != hard {
		t.Errorf("RaiseFileLimit() = %d, %d, want soft raised to hard", soft, hard)
	}
}

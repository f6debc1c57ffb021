package probe

import (
	"runtime"
	"testing"
)

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
	if got, ok := FileLimit(); !ok || got != soft {
		t.Errorf("FileLimit() = %d, %v, want %d, true", got, ok, soft)
	}
}

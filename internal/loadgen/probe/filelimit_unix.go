//go:build unix

package probe

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// RaiseFileLimit raises the soft RLIMIT_NOFILE to the hard limit and
// returns the limits in force afterwards. When raising fails (macOS caps
// the soft limit below an unlimited hard one) it returns the limits
// unchanged and the error.
func RaiseFileLimit() (soft, hard uint64, err error) {
	var r unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &r); err != nil {
		return 0, 0, fmt.Errorf("get open file limit: %w", err)
	}
	if r.Cur >= r.Max {
		return uint64(r.Cur), uint64(r.Max), nil
	}
	raised := r
	raised.Cur = r.Max
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &raised); err != nil {
		return uint64(r.Cur), uint64(r.Max), fmt.Errorf("raise open file limit from %d to %d: %w", r.Cur, r.Max, err)
	}
	return uint64(raised.Cur), uint64(raised.Max), nil
}

// FileLimit returns the soft RLIMIT_NOFILE; ok is false where it cannot be
// read.
func FileLimit() (soft uint64, ok bool) {
	var r unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &r); err != nil {
		return 0, false
	}
	return uint64(r.Cur), true
}

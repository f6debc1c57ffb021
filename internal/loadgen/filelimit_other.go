//go:build !unix

package loadgen

import "errors"

// RaiseFileLimit is not supported off Unix.
func RaiseFileLimit() (soft, hard uint64, err error) {
	return 0, 0, errors.New("raise open file limit: not supported on this system")
}

func fileLimit() (uint64, bool) { return 0, false }

//go:build !unix

package probe

import "errors"

// RaiseFileLimit is not supported off Unix.
func RaiseFileLimit() (soft, hard uint64, err error) {
	return 0, 0, errors.New("raise open file limit: not supported on this system")
}

// FileLimit is not known off Unix.
func FileLimit() (soft uint64, ok bool) { return 0, false }

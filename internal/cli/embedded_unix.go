//go:build unix && !linux

package cli

import (
	"os"
	"syscall"
)

// childProcAttr puts the embedded server in its own process group. These
// systems have no parent-death signal: bench stops the child on every way
// out it controls (errors, q, Ctrl-C, SIGTERM), but if bench itself is
// killed with SIGKILL the child keeps serving until it is stopped by hand
// (its pid is in the log line "embedded gateway serving").
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// terminate asks the embedded server to drain, as SIGTERM does for serve.
func terminate(p *os.Process) error { return p.Signal(syscall.SIGTERM) }

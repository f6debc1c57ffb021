//go:build !unix && !windows

package cli

import (
	"os"
	"syscall"
)

// childProcAttr has nothing to set where there are no process groups.
func childProcAttr() *syscall.SysProcAttr { return nil }

// terminate kills the embedded server: this system has no signal to ask it
// to drain.
func terminate(p *os.Process) error { return p.Kill() }

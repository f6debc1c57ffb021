package cli

import (
	"os"
	"syscall"
)

// childProcAttr puts the embedded server in its own process group, and has
// the kernel kill it (Pdeathsig) if bench dies without stopping it.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// terminate asks the embedded server to drain, as SIGTERM does for serve.
func terminate(p *os.Process) error { return p.Signal(syscall.SIGTERM) }

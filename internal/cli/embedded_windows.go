package cli

import (
	"os"
	"syscall"

	"golang.org/x/sys/windows"
)

// childProcAttr puts the embedded server in a process group of its own, so
// a Ctrl-C in bench's console does not reach it before bench has closed its
// clients. Windows has no parent-death signal: bench stops the child on
// every way out it controls, but if bench itself is killed the child keeps
// serving until it is stopped by hand (its pid is in the log line "embedded
// gateway serving").
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{CreationFlags: windows.CREATE_NEW_PROCESS_GROUP}
}

// terminate asks the embedded server to drain: Windows has no SIGTERM, so
// it sends the child's process group a Ctrl-Break, which serve receives as
// os.Interrupt. Without a console to carry it, the child is killed.
func terminate(p *os.Process) error {
	if err := windows.GenerateConsoleCtrlEvent(windows.CTRL_BREAK_EVENT, uint32(p.Pid)); err != nil {
		return p.Kill()
	}
	return nil
}

//go:build unix && !linux

package s3test

import (
	"os/exec"
	"syscall"
)

// ownGroup starts cmd in a process group of its own, so that stop reaches
// whatever it starts.
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// stop asks the process group to end, or kills it when hard is set.
func stop(cmd *exec.Cmd, hard bool) {
	sig := syscall.SIGTERM
	if hard {
		sig = syscall.SIGKILL
	}
	_ = syscall.Kill(-cmd.Process.Pid, sig)
}

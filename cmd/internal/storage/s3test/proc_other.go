//go:build !unix

package s3test

import "os/exec"

func ownGroup(cmd *exec.Cmd) {}

func stop(cmd *exec.Cmd, hard bool) { _ = cmd.Process.Kill() }

//go:build unix && !linux

package pgembed

import (
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// childAttr runs a child under cred in its own process group, so a Ctrl-C
// meant for the parent does not also shut the database down underneath the
// parent's own graceful shutdown. Unlike Linux, these systems have no
// parent-death signal here; a server left by a dead parent is stopped by the
// next Start.
func childAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: cred, Setpgid: true}
}

// inspect tells what pid is, using ps. Without /proc there is no cheap way to
// see the postmaster's data folder, so any postgres on the pid from our pid
// file counts as ours.
func inspect(pid int, dataDir string) procState {
	exists, permitted := alive(pid)
	if !exists {
		return procGone
	}
	out, err := exec.Command("ps", "-o", "stat=,comm=", "-p", strconv.Itoa(pid)).Output()
	if err != nil {
		return procGone
	}
	fields := strings.Fields(string(out))
	if len(fields) < 2 {
		return procGone
	}
	if strings.HasPrefix(fields[0], "Z") {
		return procGone
	}
	if name := filepath.Base(strings.Join(fields[1:], " ")); name != "postgres" && name != "postmaster" {
		return procOther
	}
	if !permitted {
		return procForbidden
	}
	return procOurs
}

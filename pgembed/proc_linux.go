package pgembed

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// childAttr runs a child under cred in its own process group, so a Ctrl-C
// meant for the parent does not also shut the database down underneath the
// parent's own graceful shutdown. The parent-death signal stops PostgreSQL
// when the parent dies without calling Stop. It is SIGINT, a fast shutdown
// like Stop's: SIGTERM would be a smart shutdown, which waits for every
// session to end, including ones opened from outside (say, a psql).
func childAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{
		Credential: cred,
		Setpgid:    true,
		Pdeathsig:  syscall.SIGINT,
	}
}

// inspect tells what pid is, using /proc. The postmaster's working directory
// is its data folder, which tells ours apart from another cluster's server
// that reused the pid.
func inspect(pid int, dataDir string) procState {
	exists, permitted := alive(pid)
	if !exists {
		return procGone
	}
	proc := "/proc/" + strconv.Itoa(pid)
	if stat, err := os.ReadFile(proc + "/stat"); err == nil {
		// The state follows the command name, which is in parentheses.
		if i := strings.LastIndexByte(string(stat), ')'); i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
			return procGone
		}
	}
	comm, err := os.ReadFile(proc + "/comm")
	if err != nil {
		return procGone // it exited meanwhile
	}
	if name := strings.TrimSpace(string(comm)); name != "postgres" && name != "postmaster" {
		return procOther
	}
	cwd, err := os.Readlink(proc + "/cwd")
	if err != nil {
		if !permitted {
			return procForbidden
		}
		// We may signal it but not look closer; a postgres on a pid from
		// our own data folder's pid file is most likely ours.
		return procOurs
	}
	if filepath.Clean(cwd) != resolved(dataDir) {
		return procOther
	}
	if !permitted {
		return procForbidden
	}
	return procOurs
}

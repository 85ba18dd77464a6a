//go:build unix

package pgembed

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// procState is what pid in a postmaster.pid file turned out to be.
type procState int

const (
	procGone      procState = iota // not running (or a zombie)
	procOther                      // running, but not a postmaster of this data folder
	procOurs                       // a postgres process serving this data folder
	procForbidden                  // a postgres process we may not inspect or signal
)

// stopLeftover deals with dataDir/postmaster.pid before a start. A parent
// that died without Stop can leave a server behind: the non-root path runs
// postgres as a daemon, and even a child with a parent-death signal may be
// left over when the parent was killed before that signal was set up. Such a
// server holds the data folder, so it is shut down (SIGINT, then SIGKILL
// after leftoverTimeout). A pid file whose process is gone, or whose pid now
// belongs to an unrelated process, is stale and removed, because PostgreSQL
// refuses to start while the pid in it is alive.
func stopLeftover(dataDir string, log *slog.Logger) error {
	pidFile := filepath.Join(dataDir, "postmaster.pid")
	b, err := os.ReadFile(pidFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("pgembed: %w", err)
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil || pid <= 0 {
		log.Info("pgembed: removing unreadable postmaster.pid", "file", pidFile)
		return removeIfExists(pidFile)
	}

	switch inspect(pid, dataDir) {
	case procGone, procOther:
		log.Info("pgembed: removing stale postmaster.pid", "file", pidFile, "pid", pid)
		return removeIfExists(pidFile)
	case procForbidden:
		return fmt.Errorf("pgembed: %s is in use by postgres process %d, which this user may not stop", dataDir, pid)
	}

	log.Warn("pgembed: stopping a leftover postgres that holds the data folder", "pid", pid, "dir", dataDir)
	if err := syscall.Kill(pid, syscall.SIGINT); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("pgembed: stop leftover postgres %d: %w", pid, err)
	}
	if !waitGone(pid, dataDir, leftoverTimeout) {
		log.Warn("pgembed: leftover postgres ignored SIGINT; killing it", "pid", pid)
		// The postmaster leads its own process group (pg_ctl starts it in
		// a new session, startChild with Setpgid), so killing the group also
		// ends its backends, which would otherwise keep the shared memory
		// that blocks a new postmaster.
		if pgid, err := syscall.Getpgid(pid); err == nil && pgid == pid {
			_ = syscall.Kill(-pid, syscall.SIGKILL)
		} else {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		if !waitGone(pid, dataDir, 5*time.Second) {
			return fmt.Errorf("pgembed: leftover postgres %d holding %s does not exit", pid, dataDir)
		}
	}
	// A fast shutdown removes the pid file itself; SIGKILL does not.
	return removeIfExists(pidFile)
}

// crashPostmaster ends the postmaster of dataDir with an immediate shutdown (SIGQUIT: its
// backends quit at once, and nothing is checkpointed) and waits for it to exit.
func crashPostmaster(dataDir string) error {
	pid, err := postmasterPID(dataDir)
	if err != nil {
		return err
	}
	if err := syscall.Kill(pid, syscall.SIGQUIT); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("pgembed: crash postgres %d: %w", pid, err)
	}
	if !waitGone(pid, dataDir, leftoverTimeout) {
		return fmt.Errorf("pgembed: postgres %d did not exit on SIGQUIT", pid)
	}
	return nil
}

// waitGone polls until pid no longer serves dataDir or the timeout passes.
func waitGone(pid int, dataDir string, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for {
		if s := inspect(pid, dataDir); s == procGone || s == procOther {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// alive reports whether a process with this pid exists and whether we may
// signal it.
func alive(pid int) (exists, permitted bool) {
	switch err := syscall.Kill(pid, 0); {
	case err == nil:
		return true, true
	case errors.Is(err, syscall.EPERM):
		return true, false
	default:
		return false, false
	}
}

func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("pgembed: %w", err)
	}
	return nil
}

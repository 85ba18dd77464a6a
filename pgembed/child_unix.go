//go:build unix

package pgembed

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"time"
)

const exeSuffix = ""

// runAs is the unprivileged account the root path runs PostgreSQL under.
type runAs struct {
	name   string
	uid    uint32
	gid    uint32
	groups []uint32 // supplementary groups, including gid
}

// child is a postgres process started by this process.
type child struct {
	proc   *os.Process
	exited chan struct{} // closed once the process has been reaped
	err    error         // the exit status; read only after exited is closed
}

// startChild is the path for root: PostgreSQL refuses to run as root, so
// initdb and postgres run as child processes under an unprivileged user.
func startChild(ctx context.Context, st *setup) (*Server, error) {
	if st.bin == nil {
		return nil, errors.New("pgembed: no installed PostgreSQL found and PostgreSQL cannot run as root; " +
			"install PostgreSQL (e.g. apt-get install postgresql) or run as a non-root user")
	}
	if st.dataMajor != 0 && st.bin.major != st.dataMajor {
		return nil, fmt.Errorf("pgembed: %s was created by PostgreSQL %d but the installed PostgreSQL is %d; "+
			"install PostgreSQL %d or remove %s", st.dataDir, st.dataMajor, st.bin.major, st.dataMajor, st.dataDir)
	}
	as, err := unprivilegedUser()
	if err != nil {
		return nil, err
	}
	if err := makeTraversable(st.dir, as); err != nil {
		return nil, err
	}
	if err := stopLeftover(st.dataDir, st.log); err != nil {
		return nil, err
	}
	if err := portFree(st.port); err != nil {
		return nil, err
	}

	// Dir/run is ours to erase; starting empty guarantees no stale socket
	// lock files.
	if err := os.RemoveAll(st.runDir); err != nil {
		return nil, fmt.Errorf("pgembed: %w", err)
	}
	if err := mkdirOwned(st.runDir, as); err != nil {
		return nil, err
	}
	if st.dataMajor == 0 {
		if err := initData(ctx, st, as); err != nil {
			return nil, err
		}
	} else if err := chownTree(st.dataDir, as); err != nil {
		// The data folder may come from a run under another account, such
		// as "nobody" before the "postgres" user was created.
		return nil, err
	}

	args := []string{"-D", st.dataDir,
		"-c", "listen_addresses=127.0.0.1",
		"-c", "port=" + strconv.FormatUint(uint64(st.port), 10),
		"-c", "unix_socket_directories=" + socketDir(st.runDir),
	}
	for name, value := range st.settings {
		args = append(args, "-c", name+"="+value)
	}
	cmd := exec.Command(filepath.Join(st.bin.binDir, "postgres"), args...)
	c, err := startAsUser(cmd, st, as)
	if err != nil {
		return nil, fmt.Errorf("pgembed: start postgres: %w", err)
	}
	srv := &Server{port: st.port, dataDir: st.dataDir, stop: c.stop}

	readyCtx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	if err := waitReady(readyCtx, srv.DSN("postgres"), st.dataDir, c.exited); err != nil {
		_ = c.stop()
		return nil, st.out.withTail(err)
	}
	return srv, nil
}

// initData creates a fresh data folder with initdb. Trust authentication is
// what lets the DSN go without a password; the server only listens on
// 127.0.0.1.
func initData(ctx context.Context, st *setup, as runAs) error {
	var err error
	// C.UTF-8 gives UTF-8 aware character classes; systems without that
	// locale still have plain C, which sorts the same way.
	for _, locale := range []string{"C.UTF-8", "C"} {
		// A folder without PG_VERSION is a failed or foreign initdb; initdb
		// wants an empty folder.
		if err = os.RemoveAll(st.dataDir); err != nil {
			return fmt.Errorf("pgembed: %w", err)
		}
		if err = mkdirOwned(st.dataDir, as); err != nil {
			return err
		}
		st.log.Info("pgembed: initializing data folder", "dir", st.dataDir, "locale", locale, "user", as.name)
		cmd := exec.CommandContext(ctx, filepath.Join(st.bin.binDir, "initdb"),
			"-D", st.dataDir,
			"-U", superuser,
			"--auth=trust",
			"-E", "UTF8",
			"--locale="+locale,
		)
		var c *child
		if c, err = startAsUser(cmd, st, as); err != nil {
			return fmt.Errorf("pgembed: start initdb: %w", err)
		}
		<-c.exited
		if err = c.err; err == nil {
			return nil
		}
	}
	return st.out.withTail(fmt.Errorf("pgembed: initdb: %w", err))
}

// startAsUser starts cmd as the unprivileged user, with its output going to
// the line log.
//
// The process is started from a goroutine locked to its OS thread, which
// also waits for it. The parent-death signal fires when the thread that
// forked the child ends, not when the process does, and the Go runtime may
// end threads; a thread that stays locked and blocked in wait lives exactly
// as long as the child needs it.
func startAsUser(cmd *exec.Cmd, st *setup, as runAs) (*child, error) {
	cmd.Dir = st.runDir // The child may not be allowed to enter our working directory.
	cmd.Stdout = st.out
	cmd.Stderr = st.out
	cmd.SysProcAttr = childAttr(&syscall.Credential{Uid: as.uid, Gid: as.gid, Groups: as.groups})

	c := &child{exited: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		// No UnlockOSThread: when this goroutine returns, the runtime ends
		// the thread, and by then the child has exited.
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		c.proc = cmd.Process
		started <- nil
		c.err = cmd.Wait()
		close(c.exited)
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return c, nil
}

// stop asks the postmaster for a fast shutdown and waits for it to exit.
// Should that hang, an immediate shutdown (SIGQUIT) and then SIGKILL follow.
func (c *child) stop() error {
	for _, step := range []struct {
		sig  syscall.Signal
		wait time.Duration
	}{
		{syscall.SIGINT, stopTimeout},
		{syscall.SIGQUIT, 5 * time.Second},
		{syscall.SIGKILL, time.Minute},
	} {
		select {
		case <-c.exited:
			return c.exitErr()
		default:
		}
		if err := c.proc.Signal(step.sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
			return fmt.Errorf("pgembed: signal postgres: %w", err)
		}
		select {
		case <-c.exited:
			return c.exitErr()
		case <-time.After(step.wait):
		}
	}
	return errors.New("pgembed: postgres did not exit")
}

// exitErr reports a postgres that exited with a failure, which also covers
// a server that crashed before Stop was called.
func (c *child) exitErr() error {
	if c.err != nil {
		return fmt.Errorf("pgembed: postgres exited: %w", c.err)
	}
	return nil
}

// unprivilegedUser picks the account to run PostgreSQL under: "postgres",
// which distribution packages create, or else "nobody".
func unprivilegedUser() (runAs, error) {
	var lastErr error
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			lastErr = err
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err := errors.Join(err1, err2); err != nil {
			lastErr = err
			continue
		}
		as := runAs{name: name, uid: uint32(uid), gid: uint32(gid), groups: []uint32{uint32(gid)}}
		if ids, err := u.GroupIds(); err == nil {
			for _, id := range ids {
				if g, err := strconv.ParseUint(id, 10, 32); err == nil && uint32(g) != as.gid {
					as.groups = append(as.groups, uint32(g))
				}
			}
		}
		return as, nil
	}
	return runAs{}, fmt.Errorf("pgembed: running as root needs a user \"postgres\" or \"nobody\" to run PostgreSQL as: %w", lastErr)
}

// makeTraversable creates dir and makes sure the unprivileged user can reach
// Dir/data and Dir/run through it. Folders pgembed creates get mode 0755, and
// dir itself, which belongs to pgembed, gets search permission added. Other
// ancestors are left alone; when one of them blocks the user (os.MkdirTemp
// and t.TempDir create 0700 folders), the error says which.
func makeTraversable(dir string, as runAs) error {
	var created []string
	for p := dir; ; p = filepath.Dir(p) {
		_, err := os.Stat(p)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("pgembed: %w", err)
		}
		created = append(created, p)
		if filepath.Dir(p) == p {
			break
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("pgembed: %w", err)
	}
	// The umask may have narrowed the mode MkdirAll used.
	for _, p := range created {
		if err := os.Chmod(p, 0o755); err != nil {
			return fmt.Errorf("pgembed: %w", err)
		}
	}

	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return fmt.Errorf("pgembed: %w", err)
	}
	fi, err := os.Stat(real)
	if err != nil {
		return fmt.Errorf("pgembed: %w", err)
	}
	if !canSearch(fi, as) {
		if err := os.Chmod(real, fi.Mode().Perm()|0o011); err != nil {
			return fmt.Errorf("pgembed: %w", err)
		}
	}
	for p := filepath.Dir(real); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("pgembed: %w", err)
		}
		if !canSearch(fi, as) {
			return fmt.Errorf("pgembed: PostgreSQL runs as user %q, which cannot enter %s (mode %v); "+
				"make it searchable (chmod o+x %s) or choose an Options.Dir outside it", as.name, p, fi.Mode().Perm(), p)
		}
		if filepath.Dir(p) == p {
			return nil
		}
	}
}

// canSearch reports whether the user may enter the folder, judging by its
// mode bits (ACLs are not considered).
func canSearch(fi fs.FileInfo, as runAs) bool {
	sys, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return true
	}
	perm := fi.Mode().Perm()
	switch {
	case sys.Uid == as.uid:
		return perm&0o100 != 0
	case containsGID(as.groups, sys.Gid):
		return perm&0o010 != 0
	default:
		return perm&0o001 != 0
	}
}

func containsGID(groups []uint32, gid uint32) bool {
	for _, g := range groups {
		if g == gid {
			return true
		}
	}
	return false
}

// mkdirOwned creates a 0700 folder owned by the user; PostgreSQL insists on
// owning its data folder and rejects group or world access to it.
func mkdirOwned(path string, as runAs) error {
	if err := os.Mkdir(path, 0o700); err != nil {
		return fmt.Errorf("pgembed: %w", err)
	}
	if err := os.Chown(path, int(as.uid), int(as.gid)); err != nil {
		return fmt.Errorf("pgembed: %w", err)
	}
	return nil
}

// chownTree gives everything under root to the user, touching only the
// entries that need it.
func chownTree(root string, as runAs) error {
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if sys, ok := fi.Sys().(*syscall.Stat_t); ok && sys.Uid == as.uid && sys.Gid == as.gid {
			return nil
		}
		return os.Lchown(path, int(as.uid), int(as.gid))
	})
	if err != nil {
		return fmt.Errorf("pgembed: hand %s to user %q: %w", root, as.name, err)
	}
	return nil
}

// Package pgembed runs a private PostgreSQL server for the demo and for tests
// when no database URL is configured.
//
// The server listens on 127.0.0.1 only and trusts every connection it
// accepts, so the DSN carries no password. Its data lives in Options.Dir/data
// and is kept across runs; a second Start on the same folder finds the
// databases of the first one.
//
// There are two ways the server is run, because PostgreSQL refuses to run as
// root:
//
//   - As root (common in containers and CI), pgembed runs the installed
//     initdb and postgres binaries as child processes under the unprivileged
//     user "postgres" (or "nobody" when that user does not exist). On Linux
//     the children get a parent-death signal, so a killed parent does not
//     leave the server running. Root without installed binaries is an error.
//   - Otherwise it uses github.com/fergusstrange/embedded-postgres, pointed at
//     the installed binaries when there are any, and letting the library
//     download binaries when there are none.
//
// A parent that died without calling Stop (the non-root server is a daemon)
// can leave a server holding the data folder; Start detects it through
// Dir/data/postmaster.pid and stops it before starting a new one.
package pgembed

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Options configures Start.
type Options struct {
	// Dir is the root folder. Data lives in Dir/data and is kept across runs;
	// sockets and other runtime files live in Dir/run, which is erased on
	// every start. Without root, Dir/binaries (or Dir/binaries-<version>
	// for downloaded ones) holds the binaries embedded-postgres runs.
	Dir string
	// Port is the TCP port on 127.0.0.1; 0 picks a free one.
	Port uint32
	// Settings are server settings given at start (postgres -c name=value), such as
	// max_connections or fsync for a throwaway test cluster.
	Settings map[string]string
	// Logger receives pgembed's own messages and, at debug level, the output
	// of the PostgreSQL processes. It may be nil.
	Logger *slog.Logger
}

// Server is a running PostgreSQL server started by Start.
type Server struct {
	port    uint32
	dataDir string
	stop    func() error

	stopOnce sync.Once
	stopErr  error
}

const (
	// superuser is the role created by initdb; the DSN connects as it.
	superuser = "postgres"
	// readyTimeout bounds the wait for the server to accept connections.
	readyTimeout = 30 * time.Second
	// leftoverTimeout is how long a leftover server gets to shut down after
	// SIGINT before it is killed.
	leftoverTimeout = 10 * time.Second
	// stopTimeout is how long Stop waits for a fast shutdown before it falls
	// back to harsher signals.
	stopTimeout = 30 * time.Second
)

// setup carries what both ways of running the server need.
type setup struct {
	dir      string // absolute Options.Dir
	dataDir  string // dir/data
	runDir   string // dir/run
	port     uint32
	log      *slog.Logger
	out      *lineLog // output of the PostgreSQL processes
	settings map[string]string
	// dataMajor is the major version recorded in dataDir/PG_VERSION, or 0
	// when the data folder has not been initialized yet.
	dataMajor int
	// bin is the best installed PostgreSQL, or nil when none was found.
	bin *installation
}

// Start starts a PostgreSQL server in opts.Dir and returns once it accepts
// connections. The caller must call Stop.
//
// One server runs per Dir: a server still running in Dir, such as one left
// by a crashed process, is shut down first. Processes that run at the same
// time, like the test binaries of several packages, need a Dir each.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.Dir == "" {
		return nil, errors.New("pgembed: Options.Dir is empty")
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("pgembed: %w", err)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	port := opts.Port
	if port == 0 {
		if port, err = freePort(); err != nil {
			return nil, err
		}
	}
	st := &setup{
		dir:      dir,
		dataDir:  filepath.Join(dir, "data"),
		runDir:   filepath.Join(dir, "run"),
		port:     port,
		log:      log,
		out:      newLineLog(log),
		settings: opts.Settings,
	}
	if st.dataMajor, err = dataVersion(st.dataDir); err != nil {
		return nil, err
	}
	st.bin = findInstalled(st.dataMajor)

	began := time.Now()
	var srv *Server
	if os.Geteuid() == 0 {
		srv, err = startChild(ctx, st)
	} else {
		srv, err = startLibrary(ctx, st)
	}
	if err != nil {
		return nil, err
	}
	log.Info("pgembed: postgres is ready", "dir", dir, "port", port, "took", time.Since(began).Round(time.Millisecond))
	return srv, nil
}

// DSN returns the URL of the named database on this server, for example
// "postgres://postgres@127.0.0.1:5432/app?sslmode=disable".
func (s *Server) DSN(database string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", superuser, s.port, url.PathEscape(database))
}

// Port returns the TCP port the server listens on at 127.0.0.1.
func (s *Server) Port() uint32 {
	return s.port
}

// Stop shuts the server down (a fast shutdown: open sessions are ended) and
// waits for it to exit. Calling it again returns the first call's result.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() { s.stopErr = s.stop() })
	return s.stopErr
}

// Crash ends the server as a crash of the machine would, for tests of what survives one: an
// immediate shutdown (SIGQUIT), which writes no checkpoint, so that the next start on the
// same data recovers from the write-ahead log. It waits for the server to exit; Stop then
// does nothing. Should it fail, Stop still stops the server.
func (s *Server) Crash() error {
	if err := crashPostmaster(s.dataDir); err != nil {
		return err
	}
	s.stopOnce.Do(func() {})
	return nil
}

// freePort asks the kernel for a free port on 127.0.0.1. Another process may
// take it before PostgreSQL binds it, but that is rare enough to accept.
func freePort() (uint32, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgembed: pick a free port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return 0, fmt.Errorf("pgembed: pick a free port: %w", err)
	}
	return uint32(port), nil
}

// portFree checks that nothing listens on 127.0.0.1:port yet. PostgreSQL
// would exit on the busy port, but a server already listening there must not
// be mistaken for the one just started. It runs after stopLeftover, since a
// leftover server of the same Dir typically holds the same fixed port.
func portFree(port uint32) error {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.FormatUint(uint64(port), 10)))
	if err != nil {
		return fmt.Errorf("pgembed: port %d on 127.0.0.1 is not available: %w", port, err)
	}
	if err := l.Close(); err != nil {
		return fmt.Errorf("pgembed: %w", err)
	}
	return nil
}

// dataVersion reads the major version from dataDir/PG_VERSION. It returns 0
// when the file does not exist, which means the folder was never initialized
// (or initdb did not finish).
func dataVersion(dataDir string) (int, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, "PG_VERSION"))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("pgembed: %w", err)
	}
	major, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, fmt.Errorf("pgembed: %s/PG_VERSION holds %q, not a major version", dataDir, b)
	}
	return major, nil
}

// installation is a folder with PostgreSQL server binaries.
type installation struct {
	binDir string
	major  int
}

// findInstalled looks for installed PostgreSQL server binaries. It prefers
// the major version want (the version of an existing data folder, which no
// other major can open) and otherwise the newest major. It returns nil when
// nothing is installed.
func findInstalled(want int) *installation {
	var dirs []string
	for _, pattern := range []string{
		"/usr/lib/postgresql/*/bin",          // Debian, Ubuntu
		"/usr/pgsql-*/bin",                   // PGDG packages on RHEL and Fedora
		"/opt/homebrew/opt/postgresql@*/bin", // Homebrew on Apple silicon
		"/usr/local/opt/postgresql@*/bin",    // Homebrew on Intel
		"/usr/local/pgsql/bin",               // built from source
		"/usr/local/lib/postgresql*/bin",     // assorted ports
		"/Applications/Postgres.app/Contents/Versions/*/bin",
	} {
		matches, _ := filepath.Glob(pattern)
		dirs = append(dirs, matches...)
	}
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		dirs = append(dirs, strings.TrimSpace(string(out)))
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		dirs = append(dirs, filepath.Dir(p))
	}

	var found []installation
	seen := map[string]bool{}
	for _, d := range dirs {
		real, err := filepath.EvalSymlinks(d)
		if err != nil || seen[real] {
			continue
		}
		seen[real] = true
		if !hasServerBinaries(d) {
			continue
		}
		if major := serverMajor(d); major > 0 {
			found = append(found, installation{binDir: d, major: major})
		}
	}
	if len(found) == 0 {
		return nil
	}
	for _, in := range found {
		if in.major == want {
			return &in
		}
	}
	newest := slices.MaxFunc(found, func(a, b installation) int { return a.major - b.major })
	return &newest
}

// hasServerBinaries reports whether dir holds the programs pgembed and the
// embedded-postgres library run.
func hasServerBinaries(dir string) bool {
	for _, name := range []string{"initdb", "pg_ctl", "postgres"} {
		fi, err := os.Stat(filepath.Join(dir, name+exeSuffix))
		// Windows has no execute bits; elsewhere they tell a program apart.
		if err != nil || fi.IsDir() || (runtime.GOOS != "windows" && fi.Mode()&0o111 == 0) {
			return false
		}
	}
	return true
}

// serverMajor asks the postgres binary in dir for its major version; 0 means
// it could not tell.
func serverMajor(dir string) int {
	out, err := exec.Command(filepath.Join(dir, "postgres"+exeSuffix), "--version").Output()
	if err != nil {
		return 0
	}
	return MajorVersion(string(out))
}

// MajorVersion reads the major version from what a PostgreSQL program prints for --version,
// such as "postgres (PostgreSQL) 15.14 (Debian ...)" or "pg_dump (PostgreSQL) 16.2"; 0 when
// it cannot tell.
func MajorVersion(versionOutput string) int {
	_, rest, ok := strings.Cut(versionOutput, "(PostgreSQL) ")
	if !ok {
		return 0
	}
	end := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
	if end < 0 {
		end = len(rest)
	}
	major, _ := strconv.Atoi(rest[:end])
	return major
}

// socketDir returns the value for unix_socket_directories. The socket goes to
// runDir, except when its path would exceed the length a Unix socket address
// can hold; then Unix sockets are switched off, since clients use TCP anyway.
func socketDir(runDir string) string {
	const maxSocketPath = 103 // sun_path is 104 bytes on macOS, 108 on Linux, including the NUL.
	if len(filepath.Join(runDir, ".s.PGSQL.65535.lock")) > maxSocketPath {
		return ""
	}
	return runDir
}

// waitReady connects to the server until it answers, ctx ends or exited is
// closed (a nil exited never is). It also checks that the server answering
// is the one serving dataDir, not another one on the same port.
func waitReady(ctx context.Context, dsn, dataDir string, exited <-chan struct{}) error {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return fmt.Errorf("pgembed: %w", err)
	}
	want := resolved(dataDir)
	var lastErr error
	for {
		var got string
		got, lastErr = serverDataDir(ctx, cfg)
		if lastErr == nil {
			if resolved(got) != want {
				return fmt.Errorf("pgembed: port %d is served by another PostgreSQL (data directory %s)", cfg.Port, got)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("pgembed: postgres did not accept connections: %w (last attempt: %v)", ctx.Err(), lastErr)
		case <-exited:
			return fmt.Errorf("pgembed: postgres exited during startup (last connection attempt: %v)", lastErr)
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// serverDataDir makes one connection attempt and asks for the server's data
// directory.
func serverDataDir(ctx context.Context, cfg *pgx.ConnConfig) (string, error) {
	// The per-attempt timeout keeps a hung attempt from eating the whole
	// startup budget.
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	var dir string
	err = conn.QueryRow(ctx, "SELECT current_setting('data_directory')").Scan(&dir)
	return dir, err
}

// resolved returns path with symlinks evaluated when possible, so that two
// spellings of a folder compare equal.
func resolved(path string) string {
	if r, err := filepath.EvalSymlinks(path); err == nil {
		return r
	}
	return filepath.Clean(path)
}

// lineLog is an io.Writer that forwards the output of PostgreSQL processes
// line by line to a logger at debug level and remembers the last lines, so a
// failed start can say why even when nobody configured a logger.
type lineLog struct {
	log *slog.Logger

	mu      sync.Mutex
	partial []byte
	tail    []string
}

const tailLines = 30

func newLineLog(log *slog.Logger) *lineLog {
	return &lineLog{log: log}
}

func (l *lineLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partial = append(l.partial, p...)
	for {
		i := slices.Index(l.partial, '\n')
		if i < 0 {
			break
		}
		line := strings.TrimRight(string(l.partial[:i]), "\r")
		l.partial = l.partial[i+1:]
		if line == "" {
			continue
		}
		l.log.Debug("postgres: " + line)
		if len(l.tail) == tailLines {
			l.tail = l.tail[1:]
		}
		l.tail = append(l.tail, line)
	}
	return len(p), nil
}

// withTail appends the last lines of PostgreSQL output to err.
func (l *lineLog) withTail(err error) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.tail) == 0 {
		return err
	}
	return fmt.Errorf("%w\npostgres output:\n  %s", err, strings.Join(l.tail, "\n  "))
}

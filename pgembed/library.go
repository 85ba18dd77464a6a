package pgembed

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	embeddedpostgres "github.com/fergusstrange/embedded-postgres"
)

// startLibrary is the path for ordinary users: github.com/fergusstrange/
// embedded-postgres runs initdb and pg_ctl. Its quirks shape the setup:
//
//   - It erases RuntimePath on every start, so that is Dir/run, and the data
//     lives outside it in Dir/data.
//   - It downloads binaries unless BinariesPath/bin/pg_ctl exists, so
//     installed binaries are offered as Dir/binaries/bin, a symlink.
//   - It deletes the data folder when PG_VERSION does not match Version, so
//     Version always follows the binaries in use, and binaries that cannot
//     open an existing data folder are never used.
//   - It initializes with password authentication, so pg_hba.conf is
//     rewritten to trust local connections, as the password-less DSN needs.
func startLibrary(ctx context.Context, st *setup) (*Server, error) {
	if err := os.MkdirAll(st.dir, 0o755); err != nil {
		return nil, fmt.Errorf("pgembed: %w", err)
	}
	if err := stopLeftover(st.dataDir, st.log); err != nil {
		return nil, err
	}
	if err := portFree(st.port); err != nil {
		return nil, err
	}

	var (
		version embeddedpostgres.PostgresVersion
		binRoot string
	)
	if st.bin != nil && (st.dataMajor == 0 || st.bin.major == st.dataMajor) {
		version = libraryVersion(st.bin.major)
		binRoot = filepath.Join(st.dir, "binaries")
		if err := linkBinaries(binRoot, st.bin.binDir); err != nil {
			return nil, err
		}
	} else {
		major := st.dataMajor
		if major == 0 {
			major = 18 // The library's default version.
		}
		v, ok := downloadable(major)
		if !ok {
			return nil, fmt.Errorf("pgembed: %s was created by PostgreSQL %d, which is not installed and which embedded-postgres cannot download; "+
				"install PostgreSQL %d or remove %s", st.dataDir, major, major, st.dataDir)
		}
		if st.bin != nil {
			st.log.Info("pgembed: the installed PostgreSQL cannot open the data folder; using a downloaded one",
				"installed", st.bin.major, "data", st.dataMajor, "download", v)
		} else {
			st.log.Info("pgembed: no installed PostgreSQL found; embedded-postgres downloads one if it has no copy yet", "version", v)
		}
		version = v
		// A folder of its own per version, outside Dir/run, so the
		// binaries are extracted once rather than on every start.
		binRoot = filepath.Join(st.dir, "binaries-"+string(v))
	}

	var (
		ep  *embeddedpostgres.EmbeddedPostgres
		err error
	)
	// C.UTF-8 gives UTF-8 aware character classes; systems without that
	// locale still have plain C, which sorts the same way.
	for _, locale := range []string{"C.UTF-8", "C"} {
		params := map[string]string{
			"listen_addresses":        "127.0.0.1",
			"unix_socket_directories": socketDir(st.runDir),
		}
		for name, value := range st.settings {
			params[name] = value
		}
		ep = embeddedpostgres.NewDatabase(embeddedpostgres.DefaultConfig().
			Version(version).
			Port(st.port).
			Username(superuser).
			Password(superuser).
			Database("postgres").
			RuntimePath(st.runDir).
			DataPath(st.dataDir).
			BinariesPath(binRoot).
			Locale(locale).
			Encoding("UTF8").
			StartParameters(params).
			StartTimeout(readyTimeout).
			Logger(st.out))
		if err = ep.Start(); err == nil {
			break
		}
		if major, _ := dataVersion(st.dataDir); major != 0 {
			break // initdb succeeded, so the locale was not the problem.
		}
	}
	if err != nil {
		return nil, fmt.Errorf("pgembed: start postgres with embedded-postgres: %w", err)
	}

	pid, err := postmasterPID(st.dataDir)
	if err != nil {
		_ = ep.Stop()
		return nil, err
	}
	srv := &Server{port: st.port, dataDir: st.dataDir, stop: func() error {
		// The library stops whatever server runs in the data folder. If a
		// later Start on the same Dir has replaced ours, that one is not
		// ours to stop.
		if now, err := postmasterPID(st.dataDir); err != nil || now != pid {
			return nil
		}
		if err := ep.Stop(); err != nil {
			return fmt.Errorf("pgembed: stop postgres: %w", err)
		}
		return nil
	}}

	if err := trustLocal(st, filepath.Join(binRoot, "bin", "pg_ctl"+exeSuffix)); err != nil {
		_ = srv.stop()
		return nil, err
	}
	readyCtx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	if err := waitReady(readyCtx, srv.DSN("postgres"), st.dataDir, nil); err != nil {
		_ = srv.stop()
		return nil, err
	}
	return srv, nil
}

// libraryVersion names an installed major version for the library. Only the
// major matters once binaries are present (the library compares it with
// PG_VERSION), so majors the library does not know yet work as well.
func libraryVersion(major int) embeddedpostgres.PostgresVersion {
	if v, ok := downloadable(major); ok {
		return v
	}
	return embeddedpostgres.PostgresVersion(fmt.Sprintf("%d.0.0", major))
}

// downloadable returns the version embedded-postgres v1.34.0 downloads for a
// major version.
func downloadable(major int) (embeddedpostgres.PostgresVersion, bool) {
	switch major {
	case 18:
		return embeddedpostgres.V18, true
	case 17:
		return embeddedpostgres.V17, true
	case 16:
		return embeddedpostgres.V16, true
	case 15:
		return embeddedpostgres.V15, true
	case 14:
		return embeddedpostgres.V14, true
	case 13:
		return embeddedpostgres.V13, true
	case 12:
		return embeddedpostgres.V12, true
	case 11:
		return embeddedpostgres.V11, true
	case 10:
		return embeddedpostgres.V10, true
	}
	return "", false
}

// linkBinaries makes root a folder holding only bin, a symlink to binDir; the
// library then finds root/bin/pg_ctl and downloads nothing. It is rebuilt on
// every start because the installed version may have changed.
func linkBinaries(root, binDir string) error {
	if err := os.RemoveAll(root); err != nil { // Removes the link, not its target.
		return fmt.Errorf("pgembed: %w", err)
	}
	if err := os.Mkdir(root, 0o755); err != nil {
		return fmt.Errorf("pgembed: %w", err)
	}
	if err := os.Symlink(binDir, filepath.Join(root, "bin")); err != nil {
		return fmt.Errorf("pgembed: %w", err)
	}
	return nil
}

// postmasterPID reads the pid of the running postmaster from its pid file.
func postmasterPID(dataDir string) (int, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		return 0, fmt.Errorf("pgembed: %w", err)
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil {
		return 0, fmt.Errorf("pgembed: postmaster.pid: %w", err)
	}
	return pid, nil
}

// hbaTrust is the pg_hba.conf that lets any local connection in without a
// password. The server listens on 127.0.0.1 only.
const hbaTrust = `# Written by pgembed: this server listens on 127.0.0.1 only and trusts
# every local connection, so DSNs need no password.
local   all          all                 trust
host    all          all   127.0.0.1/32  trust
host    all          all   ::1/128       trust
local   replication  all                 trust
host    replication  all   127.0.0.1/32  trust
host    replication  all   ::1/128       trust
`

// trustLocal installs hbaTrust and has the server reload its configuration
// when pg_hba.conf said something else, which is the case right after the
// library's initdb. The reload is asynchronous; waitReady retries until the
// password-less connection gets in.
func trustLocal(st *setup, pgCtl string) error {
	path := filepath.Join(st.dataDir, "pg_hba.conf")
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("pgembed: %w", err)
	}
	if string(old) == hbaTrust {
		return nil
	}
	if err := os.WriteFile(path, []byte(hbaTrust), 0o600); err != nil {
		return fmt.Errorf("pgembed: %w", err)
	}
	cmd := exec.Command(pgCtl, "reload", "-D", st.dataDir)
	cmd.Stdout = st.out
	cmd.Stderr = st.out
	if err := cmd.Run(); err != nil {
		return st.out.withTail(fmt.Errorf("pgembed: pg_ctl reload: %w", err))
	}
	return nil
}

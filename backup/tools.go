package backup

import (
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"

	"outlay/pgembed"
)

// Tool finds a Postgres client program (pg_dump, pg_restore) of the server's major version,
// given as server_version_num: Debian's /usr/lib/postgresql/<major>/bin, the PGDG layout
// /usr/pgsql-<major>/bin, then the program on PATH if it is of that major version. An
// archive written by another major version's pg_dump may not restore, so none other is used.
func Tool(name string, serverVersionNum int) (string, error) {
	major := serverVersionNum / 10000
	for _, dir := range []string{fmt.Sprintf("/usr/lib/postgresql/%d/bin", major), fmt.Sprintf("/usr/pgsql-%d/bin", major)} {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	if p, err := exec.LookPath(name); err == nil && toolMajor(p) == major {
		return p, nil
	}
	return "", fmt.Errorf("%s of PostgreSQL %d is not installed (looked in /usr/lib/postgresql/%d/bin, /usr/pgsql-%d/bin and PATH); "+
		"install it, on Debian or Ubuntu: apt-get install postgresql-client-%d (from apt.postgresql.org when the distribution has another version)",
		name, major, major, major, major)
}

// toolMajor asks a client program for its major version; 0 when it cannot tell.
func toolMajor(path string) int {
	out, err := exec.Command(path, "--version").Output()
	if err != nil {
		return 0
	}
	return pgembed.MajorVersion(string(out))
}

// commandConnection is how a client program reaches dsn: the URL without its password, and
// the environment with the password in PGPASSWORD, so that it shows in no process listing.
func commandConnection(dsn string) (string, []string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", nil, fmt.Errorf("database URL must be a postgres:// URL")
	}
	env := os.Environ()
	if u.User != nil {
		if pw, ok := u.User.Password(); ok {
			env = append(env, "PGPASSWORD="+pw)
			u.User = url.User(u.User.Username())
		}
	}
	return u.String(), env, nil
}

//go:build unix

package pgembed

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
)

// sharedRoots are where PlaceDir keeps servers whose own folder the
// unprivileged user cannot reach, in order of preference: a system folder
// that outlives reboots, then the temp folder.
var sharedRoots = []string{"/var/lib/outlay/postgres", filepath.Join(os.TempDir(), "outlay-postgres")}

// placeOwnerFile, inside a relocated folder, names the folder it stands in
// for, so an operator looking at /var/lib/outlay/postgres knows whose it is.
const placeOwnerFile = "FOR"

// PlaceDir returns the folder to pass as Options.Dir for a server meant to
// live in dir. It is dir itself, except for root when the user PostgreSQL
// runs as cannot enter a folder above dir (a root home such as /root, or a
// `mktemp -d`, which is 0700): PostgreSQL could not reach its data there.
// Then the server lives in a folder under /var/lib/outlay/postgres (or the
// temp folder when that cannot be made) named after a hash of dir's absolute
// path, so the same dir always finds the same databases, and dir becomes a
// symbolic link to it.
//
// Removing dir (the link) and calling PlaceDir again starts afresh: the
// folder the link pointed to is emptied, as removing dir itself would have.
func PlaceDir(dir string, log *slog.Logger) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("pgembed: %w", err)
	}
	if os.Geteuid() != 0 {
		return abs, nil
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if target, err := os.Readlink(abs); err == nil && filepath.IsAbs(target) {
		return target, nil
	}
	as, err := unprivilegedUser()
	if err != nil {
		return "", err
	}
	blocked, err := blockedAncestor(abs, as)
	if err != nil || blocked == "" {
		return abs, err
	}
	if _, err := os.Lstat(abs); err == nil {
		return "", fmt.Errorf("pgembed: PostgreSQL runs as user %q, which cannot enter %s, so it cannot use the data in %s; "+
			"move that folder somewhere %s can reach, or remove it to start afresh", as.name, blocked, abs, as.name)
	}
	name := placeName(abs)
	var errs []error
	for _, root := range sharedRoots {
		target := filepath.Join(root, name)
		if err := claimPlace(target, abs, as, log); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
			return "", fmt.Errorf("pgembed: %w", err)
		}
		if err := os.Symlink(target, abs); err != nil {
			return "", fmt.Errorf("pgembed: link %s to %s: %w", abs, target, err)
		}
		log.Info("pgembed: the data folder is out of PostgreSQL's reach; keeping it elsewhere",
			"blocked", blocked, "user", as.name, "dir", target, "link", abs)
		return target, nil
	}
	return "", fmt.Errorf("pgembed: PostgreSQL runs as user %q, which cannot enter %s, and no folder it can reach could be made: %w",
		as.name, blocked, errors.Join(errs...))
}

// placeName is the relocated folder's name: the base name of the folder the
// data stands in (the project's, for a demo's .outlay/postgres) and a hash of
// the whole path, which tells apart projects with the same name.
func placeName(abs string) string {
	sum := sha256.Sum256([]byte(abs))
	base := filepath.Base(filepath.Dir(filepath.Dir(abs)))
	clean := make([]rune, 0, 32)
	for _, r := range base {
		switch {
		case len(clean) == 32:
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			clean = append(clean, r)
		}
	}
	if len(clean) == 0 {
		return hex.EncodeToString(sum[:8])
	}
	return string(clean) + "-" + hex.EncodeToString(sum[:8])
}

// claimPlace makes target a fresh folder for the data of abs. Anything there
// was left by an earlier link from abs that has since been removed, which is
// how a user asks to start afresh, so a server still running in it is stopped
// and its files removed.
func claimPlace(target, abs string, as runAs, log *slog.Logger) error {
	if _, err := os.Stat(target); err == nil {
		log.Info("pgembed: removing the databases of an earlier run whose folder was removed", "dir", target, "for", abs)
		if err := stopLeftover(filepath.Join(target, "data"), log); err != nil {
			return err
		}
		if err := os.RemoveAll(target); err != nil {
			return fmt.Errorf("pgembed: %w", err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("pgembed: %w", err)
	}
	if err := makeTraversable(target, as); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(target, placeOwnerFile), []byte(abs+"\n"), 0o644); err != nil {
		return fmt.Errorf("pgembed: %w", err)
	}
	return nil
}

// blockedAncestor returns the first existing folder above abs that the user
// cannot enter, or "" when there is none. Folders that do not exist yet do
// not block: Start creates them open to the user. Symbolic links are followed
// as PostgreSQL would follow them.
func blockedAncestor(abs string, as runAs) (string, error) {
	p := filepath.Dir(abs)
	for {
		_, err := os.Stat(p)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("pgembed: %w", err)
		}
		if filepath.Dir(p) == p {
			return "", nil
		}
		p = filepath.Dir(p)
	}
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", fmt.Errorf("pgembed: %w", err)
	}
	for q := real; ; q = filepath.Dir(q) {
		fi, err := os.Stat(q)
		if err != nil {
			return "", fmt.Errorf("pgembed: %w", err)
		}
		if !canSearch(fi, as) {
			return q, nil
		}
		if filepath.Dir(q) == q {
			return "", nil
		}
	}
}

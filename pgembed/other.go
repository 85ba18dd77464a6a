//go:build !unix

package pgembed

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
)

const exeSuffix = ".exe"

// startChild is only needed for root, which these systems do not have.
func startChild(context.Context, *setup) (*Server, error) {
	return nil, errors.New("pgembed: running PostgreSQL as another user is only supported on Unix")
}

// stopLeftover does nothing here: without Unix signals a leftover server is
// not stopped, and pg_ctl reports the data folder as busy instead.
func stopLeftover(string, *slog.Logger) error {
	return nil
}

// PlaceDir returns dir: without root, PostgreSQL runs as the current user,
// who can reach it.
func PlaceDir(dir string, _ *slog.Logger) (string, error) {
	return filepath.Abs(dir)
}

// crashPostmaster needs Unix signals.
func crashPostmaster(string) error {
	return errors.New("pgembed: an immediate shutdown is only supported on Unix")
}

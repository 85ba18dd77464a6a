package tenancy_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"outlay"
	"outlay/internal/dbtest"
	"outlay/tenancy"
)

// A move is recorded while its process runs: the registry's copy of the tenant says it is
// moving, Moves lists it as running, and a second move of the tenant, undoing it and a purge
// are refused. When its process lets go of it without finishing (as a killed one does), it is
// listed as interrupted and a new move is refused, naming the command that undoes it; that
// undoing asks before it drops anything, then makes the tenant's database writable again
// (ending the sessions opened while it was read-only), drops the copy the move made and
// removes the record.
func TestMoveIsRecordedUntilAbandoned(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env, acme := dbtest.NewTenant(t)
	r := env.Registry
	// Another cluster on the same server is enough: the move's copy is a database there.
	other, err := r.AddCluster(ctx, "other", dbtest.ServerDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	source, err := r.ClusterOf(ctx, acme)
	if err != nil {
		t.Fatal(err)
	}
	move := tenancy.Move{Slug: acme.Slug, FromCluster: acme.ClusterID, FromDatabase: acme.DatabaseName,
		ToCluster: other.ID, ToDatabase: acme.DatabaseName + "_copy", StartedBy: "pat@ops"}

	mv, err := r.BeginMove(ctx, move)
	if err != nil {
		t.Fatal(err)
	}
	if now, _ := r.Lookup(acme.Slug); !now.Moving() || now.MovingTo != other.ID {
		t.Errorf("while it moves the registry has acme as %+v", now)
	}
	if moves, err := r.Moves(ctx); err != nil || len(moves) != 1 || !moves[0].Running() || moves[0].StartedBy != "pat@ops" {
		t.Errorf("moves while one runs: %+v, %v", moves, err)
	}
	for what, err := range map[string]error{
		"a second move": func() error { _, err := r.BeginMove(ctx, move); return err }(),
		"undoing it":    func() error { _, err := r.AbandonMove(ctx, acme.Slug, nil); return err }(),
	} {
		if !errors.Is(err, outlay.ErrConflict) || !strings.Contains(err.Error(), "is still running (its control-plane session is process") {
			t.Errorf("%s while the move runs: %v", what, err)
		}
	}
	if err := r.Lapse(ctx, acme.Slug, "pat@ops", time.Now(), time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Purge(ctx, acme.Slug, tenancy.PurgeRequest{By: "pat@ops", Now: time.Now(), Force: true}); !errors.Is(err, outlay.ErrConflict) ||
		!strings.Contains(err.Error(), "a purge would leave its copy of the tenant behind") {
		t.Errorf("a purge while the move runs: %v", err)
	}

	// What the move did before it was killed: the tenant's database read-only, its copy made.
	if err := other.CreateDatabase(ctx, move.ToDatabase, ""); err != nil {
		t.Fatal(err)
	}
	if err := source.SetReadOnly(ctx, acme.DatabaseName, true); err != nil {
		t.Fatal(err)
	}
	mv.Release(ctx)
	moves, err := r.Moves(ctx)
	if err != nil || len(moves) != 1 || moves[0].Running() {
		t.Fatalf("moves once its process let go: %+v, %v", moves, err)
	}
	if _, err := r.BeginMove(ctx, move); !errors.Is(err, outlay.ErrConflict) || !strings.Contains(err.Error(), "was interrupted") ||
		!strings.Contains(err.Error(), "outlay tenant move acme --abandon") {
		t.Errorf("a move after one was interrupted: %v", err)
	}
	// An app server's session opened while the database was read-only stays read-only.
	session, err := pgx.Connect(ctx, acme.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer session.Close(ctx)

	var asked tenancy.MoveRecovery
	if _, err := r.AbandonMove(ctx, acme.Slug, func(rec tenancy.MoveRecovery) bool { asked = rec; return false }); !errors.Is(err, tenancy.ErrNotConfirmed) {
		t.Fatalf("undoing it, not confirmed: %v", err)
	}
	if asked.Switched || asked.Leftover != move.ToDatabase || asked.LeftoverCluster != other.ID || !asked.LeftoverExists || asked.Writable != acme.DatabaseName {
		t.Errorf("asked to confirm %+v", asked)
	}
	if ok, err := other.DatabaseExists(ctx, move.ToDatabase); err != nil || !ok {
		t.Fatalf("the copy is gone though dropping it was not confirmed (%v)", err)
	}
	rec, err := r.AbandonMove(ctx, acme.Slug, func(tenancy.MoveRecovery) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	if rec.Switched || !rec.LeftoverExists || rec.Writable != acme.DatabaseName || rec.Move.ID != moves[0].ID {
		t.Errorf("undone: %+v", rec)
	}
	if ok, err := other.DatabaseExists(ctx, move.ToDatabase); err != nil || ok {
		t.Errorf("the copy %s is still there (%v)", move.ToDatabase, err)
	}
	if _, err := session.Exec(ctx, `SELECT 1`); err == nil {
		t.Error("a session opened while the database was read-only was not ended")
	}
	writer, err := pgx.Connect(ctx, acme.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close(ctx)
	if _, err := writer.Exec(ctx, `CREATE TABLE written_after_the_move (x int)`); err != nil {
		t.Errorf("a write after the move was undone: %v", err)
	}
	if moves, err := r.Moves(ctx); err != nil || len(moves) != 0 {
		t.Errorf("moves after it was undone: %+v, %v", moves, err)
	}
	if now, _ := r.Lookup(acme.Slug); now.Moving() {
		t.Errorf("after the move was undone the registry has acme as %+v", now)
	}
	if _, err := r.AbandonMove(ctx, acme.Slug, nil); !errors.Is(err, outlay.ErrNotFound) {
		t.Errorf("undoing a move that is not recorded: %v", err)
	}
}

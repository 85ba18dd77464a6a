package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"outlay/internal/dbtest"
	"outlay/internal/testutil"
)

// A sign-in whose password was checked just before the person was deactivated, or before
// their password was changed, makes no session. The sign-in is held after its password
// check (the failed sign-ins it forgets wait on a lock the test holds) while the deactivation
// (or the change) commits with its revoking of the person's sessions; then it goes on to
// make its session, and must find the person deactivated (or the password changed). Before,
// it made the session after the revoke, and the session came back to life when the person
// was reactivated; the sign-in was recorded after the deactivation.
func TestNoSessionOutlivesADeactivationOrPasswordChangeItRaced(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.Pools.LockWait = -1 // the sign-in waits on the test's lock however busy the machine
	app := testutil.NewApp(t, env)
	db := app.DB(t, acme)
	ctx := context.Background()
	cases := []struct{ name, email, change, undo string }{
		{"deactivated", "dee@acme.example", `UPDATE users SET status = 'deactivated', updated_at = now() WHERE id = $1`,
			`UPDATE users SET status = 'active' WHERE id = ?`},
		{"password changed", "pat@acme.example", `UPDATE users SET password_hash = 'changed-' || password_hash, updated_at = now() WHERE id = $1`, ""},
	}
	for _, tc := range cases {
		u := env.CreateUser(t, acme, tc.email, "Racing Person", "requester")
		browser := app.Client(t, "acme")
		browser.Get("/login")

		hold, holder := dbtest.HoldLock(t, acme.DSN, "login_failures")
		answered := make(chan *testutil.Response, 1)
		go func() {
			answered <- browser.Post("/login", url.Values{"email": {tc.email}, "password": {testutil.Password}})
		}()
		conn, err := pgx.Connect(ctx, acme.DSN)
		if err != nil {
			t.Fatal(err)
		}
		dbtest.WaitFor(t, 15*time.Second, tc.name+": the sign-in past its password check", func() bool {
			var waiting bool
			if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database()
				AND pid <> $1 AND wait_event_type = 'Lock' AND query LIKE 'DELETE FROM login_failures%')`, holder).Scan(&waiting); err != nil {
				t.Fatal(err)
			}
			return waiting
		})
		tx, err := conn.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, stmt := range []string{tc.change, `DELETE FROM sessions WHERE user_id = $1`} {
			if _, err := tx.Exec(ctx, stmt, u.ID); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		conn.Close(ctx)
		if err := hold.Rollback(ctx); err != nil {
			t.Fatal(err)
		}

		res := <-answered
		if res.Status != http.StatusUnprocessableEntity || res.Text(".flash-error") != "Incorrect email or password." {
			t.Errorf("%s: the racing sign-in answered %d %q, want the refusal of a wrong password", tc.name, res.Status, res.Text(".flash-error"))
		}
		var sessions, successes int64
		db.Raw(`SELECT count(*) FROM sessions WHERE user_id = ?`, u.ID).Scan(&sessions)
		db.Raw(`SELECT count(*) FROM audit_log WHERE event = 'signin.success' AND subject = ?`, tc.email).Scan(&successes)
		if sessions != 0 || successes != 0 {
			t.Errorf("%s: %d sessions and %d sign-ins recorded after the change", tc.name, sessions, successes)
		}
		if tc.undo != "" {
			if err := db.Exec(tc.undo, u.ID).Error; err != nil {
				t.Fatal(err)
			}
		}
		if res := browser.Get("/dashboard"); res.Status != http.StatusSeeOther {
			t.Errorf("%s: the racing browser reaches its dashboard afterwards: %d", tc.name, res.Status)
		}
	}
}

package tenancy_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"outlay/internal/dbtest"
	"outlay/tenancy"
)

// Registry changes and announced policy and SSO changes made by one process reach another's Watch.
func TestWatchSeesOtherProcessesChanges(t *testing.T) {
	t.Parallel()
	env := dbtest.NewEnv(t)
	other, err := tenancy.OpenRegistry(context.Background(), env.ControlDSN, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	announced := make(chan string, 4)
	other.OnChange = func(what, slug string) { announced <- what + " " + slug }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go other.Watch(ctx)
	control, err := pgx.Connect(context.Background(), env.ControlDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer control.Close(context.Background())
	dbtest.WaitFor(t, 10*time.Second, "started listening", func() bool {
		var n int
		err := control.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND query LIKE 'LISTEN outlay_tenants%'`).Scan(&n)
		return err == nil && n > 0
	})

	env.NewTenant(t, "acme", "Acme")
	dbtest.WaitFor(t, 5*time.Second, "saw the new tenant in the other registry", func() bool {
		_, ok := other.Lookup("acme")
		return ok
	})
	if err := env.Registry.SetStatus(context.Background(), "acme", tenancy.StatusSuspended); err != nil {
		t.Fatal(err)
	}
	dbtest.WaitFor(t, 5*time.Second, "saw the suspension in the other registry", func() bool {
		tn, _ := other.Lookup("acme")
		return tn.Status == tenancy.StatusSuspended
	})
	for _, what := range []string{tenancy.ChangePolicy, tenancy.ChangeSSO} {
		if err := env.Registry.Announce(context.Background(), what, "acme"); err != nil {
			t.Fatal(err)
		}
		select {
		case got := <-announced:
			if got != what+" acme" {
				t.Errorf("announced %q, want %q", got, what+" acme")
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s announcement not received", what)
		}
	}
}

package models_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"outlay"
	"outlay/auth"
	"outlay/internal/dbtest"
	"outlay/models"
)

func TestCreateUserValidates(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	ctx := context.Background()
	if _, err := models.CreateUser(ctx, db, models.NewUser{Email: " Ana@Acme.example ", Name: " Ana ", Password: "long enough password", Roles: []string{"admin", "admin", "requester"}}); err != nil {
		t.Fatal(err)
	}
	u, err := models.FindUserByEmail(ctx, db, "ANA@acme.EXAMPLE")
	if err != nil || u.Email != "Ana@Acme.example" || u.Name != "Ana" || u.Status != models.UserActive {
		t.Fatalf("stored %+v %v", u, err)
	}
	for name, tc := range map[string]struct {
		in    models.NewUser
		field string
	}{
		"duplicate in another case": {models.NewUser{Email: "ana@acme.example", Name: "A", Roles: []string{"admin"}}, "email"},
		"bad email":                 {models.NewUser{Email: "ana@", Name: "A", Roles: []string{"admin"}}, "email"},
		"display-name email":        {models.NewUser{Email: "Ana <ana@x.example>", Name: "A", Roles: []string{"admin"}}, "email"},
		"no name":                   {models.NewUser{Email: "b@acme.example", Name: " ", Roles: []string{"admin"}}, "name"},
		"short password":            {models.NewUser{Email: "c@acme.example", Name: "C", Password: "short", Roles: []string{"admin"}}, "password"},
		"password is email":         {models.NewUser{Email: "longer.address@acme.example", Name: "C", Password: "Longer.Address@acme.example", Roles: []string{"admin"}}, "password"},
		"no role":                   {models.NewUser{Email: "d@acme.example", Name: "D"}, "roles"},
		"unknown role":              {models.NewUser{Email: "e@acme.example", Name: "E", Roles: []string{"king"}}, "roles"},
	} {
		_, err := models.CreateUser(ctx, db, tc.in)
		v, ok := outlay.AsValidation(err)
		if !ok || v[tc.field] == "" {
			t.Errorf("%s: %v, want a message for %s", name, err, tc.field)
		}
	}
	var n int64
	db.Model(&models.User{}).Count(&n)
	if n != 1 {
		t.Errorf("%d users after refused creates, want 1 (nothing half-written)", n)
	}
	var roles int64
	db.Table("user_roles").Count(&roles)
	if roles != 2 {
		t.Errorf("%d role grants, want 2", roles)
	}
}

func TestConcurrentDuplicateEmailsCreateOneUser(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	var wg sync.WaitGroup
	var mu sync.Mutex
	created := 0
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := models.CreateUser(context.Background(), db, models.NewUser{Email: "same@acme.example", Name: "Same", Roles: []string{"requester"}})
			if err == nil {
				mu.Lock()
				created++
				mu.Unlock()
			} else if _, ok := outlay.AsValidation(err); !ok {
				t.Errorf("unexpected error: %v", err)
			}
		}()
	}
	wg.Wait()
	if created != 1 {
		t.Errorf("%d creates succeeded, want 1", created)
	}
}

// Signing in clears the person's own sessions that can no longer be used.
func TestCreateSessionPrunesDeadSessions(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	u := env.CreateUser(t, acme, "ana@acme.example", "Ana", "admin")
	p := models.SessionPolicy{Idle: time.Hour, Max: 12 * time.Hour}
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if _, err := models.CreateSession(ctx, db, u.ID, p, "", ""); err != nil {
			t.Fatal(err)
		}
	}
	db.Exec(`UPDATE sessions SET last_seen_at = now() - interval '2 hours'`)
	if _, err := models.CreateSession(ctx, db, u.ID, p, "", ""); err != nil {
		t.Fatal(err)
	}
	var n int64
	db.Table("sessions").Count(&n)
	if n != 1 {
		t.Errorf("%d sessions left, want only the new one", n)
	}
}

// A session in steady use never reads as idle, however short its idle timeout: its last-seen
// time is written often enough. A long timeout keeps the cheap once-a-minute write.
func TestSessionInUseIsNotIdle(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	u := env.CreateUser(t, acme, "ana@acme.example", "Ana", "admin")
	ctx := context.Background()
	for _, c := range []struct {
		idle, ago time.Duration
		touched   bool
	}{
		{20 * time.Second, 15 * time.Second, true},
		{2 * time.Hour, 30 * time.Second, false},
		{2 * time.Hour, 90 * time.Second, true},
	} {
		p := models.SessionPolicy{Idle: c.idle, Max: 12 * time.Hour}
		token, err := models.CreateSession(ctx, db, u.ID, p, "", "")
		if err != nil {
			t.Fatal(err)
		}
		db.Exec(`UPDATE sessions SET last_seen_at = now() - make_interval(secs => ?)`, c.ago.Seconds())
		if _, err := models.LookupSession(ctx, db, token, p); err != nil {
			t.Fatalf("idle %s, seen %s ago: %v", c.idle, c.ago, err)
		}
		var stale float64
		db.Raw(`SELECT extract(epoch FROM now() - last_seen_at) FROM sessions WHERE id_hash = ?`, auth.Digest(token)).Scan(&stale)
		if touched := stale < 5; touched != c.touched {
			t.Errorf("idle %s, seen %s ago: last seen %.0fs ago after a request, want touched %v", c.idle, c.ago, stale, c.touched)
		}
	}
}

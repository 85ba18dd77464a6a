package models_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"outlay"
	"outlay/internal/dbtest"
	"outlay/models"
)

// Two admins demoting each other at the same moment cannot both succeed: the access lock
// serialises them, and the second sees that it would leave nobody able to edit roles.
func TestConcurrentDemotionsKeepOneAdmin(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	ana := env.CreateUser(t, acme, "ana@acme.example", "Ana", "admin")
	zed := env.CreateUser(t, acme, "zed@acme.example", "Zed", "admin")
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, u := range []*models.User{ana, zed} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = models.UpdateUser(context.Background(), db, models.ByOperator(), u.ID, models.UserChange{Name: u.Name, Roles: []string{"requester"}})
		}()
	}
	wg.Wait()
	refused := 0
	for _, err := range errs {
		switch {
		case errors.Is(err, models.ErrLastRoleEditor):
			refused++
		case err != nil:
			t.Fatalf("unexpected error: %v", err)
		}
	}
	if refused != 1 {
		t.Errorf("%d demotions refused, want exactly 1", refused)
	}
}

func TestUpdateUserOfNobodyIsNotFound(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	env.CreateUser(t, acme, "ana@acme.example", "Ana", "admin")
	err := models.UpdateUser(context.Background(), db, models.ByOperator(), 4242, models.UserChange{Name: "X", Roles: []string{"requester"}})
	if !errors.Is(err, outlay.ErrNotFound) {
		t.Errorf("got %v, want ErrNotFound", err)
	}
	if _, err := models.GetUser(context.Background(), db, 4242); !errors.Is(err, outlay.ErrNotFound) {
		t.Errorf("GetUser: %v", err)
	}
}

// An invitation is the person and their link together, or neither.
func TestInviteUserWritesBothOrNothing(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	ctx := context.Background()
	u, token, err := models.InviteUser(ctx, db, models.ByOperator(), models.NewUser{Email: "ivy@acme.example", Name: "Ivy", Roles: []string{"requester"}, Password: "ignored for invitations"}, models.InvitationTTL)
	if err != nil || token == "" || u.Status != models.UserInvited {
		t.Fatalf("invite: %+v %q %v", u, token, err)
	}
	if found, err := models.FindPasswordReset(ctx, db, token); err != nil || found.ID != u.ID {
		t.Errorf("the link does not lead to Ivy: %+v %v", found, err)
	}
	if _, _, err := models.InviteUser(ctx, db, models.ByOperator(), models.NewUser{Email: "IVY@acme.example", Name: "Ivy 2", Roles: []string{"requester"}}, models.InvitationTTL); err == nil {
		t.Error("a second invitation to the same email was accepted")
	}
	var users, links int64
	db.Model(&models.User{}).Count(&users)
	db.Table("password_resets").Count(&links)
	if users != 1 || links != 1 {
		t.Errorf("%d users and %d links, want 1 and 1", users, links)
	}
}

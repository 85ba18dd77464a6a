package models_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"outlay"
	"outlay/internal/dbtest"
	"outlay/models"
	"outlay/policy"
)

func TestLastRoleEditorGuards(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	ctx := context.Background()
	ana := env.CreateUser(t, acme, "ana@acme.example", "Ana", "admin")
	for name, change := range map[string]func() error{
		"revoke roles:update from admin": func() error {
			return models.SetPermission(ctx, db, models.ByOperator(), "admin", policy.RoleEditor, false)
		},
		"deactivate the only admin":      func() error { return models.DeactivateUser(ctx, db, models.ByOperator(), ana.ID) },
		"take admin from the only admin": func() error { return models.SetUserRoles(ctx, db, ana.ID, []string{"requester"}) },
	} {
		if err := change(); !errors.Is(err, models.ErrLastRoleEditor) {
			t.Errorf("%s: %v, want ErrLastRoleEditor", name, err)
		}
	}
	// Nothing changed: Ana still signs in as an admin.
	u, err := models.FindUserByEmail(ctx, db, "ana@acme.example")
	if err != nil || u.Status != models.UserActive {
		t.Fatalf("ana: %+v %v", u, err)
	}
	// With a second editor, the first may go.
	bo := env.CreateUser(t, acme, "bo@acme.example", "Bo", "admin")
	if err := models.SetUserRoles(ctx, db, ana.ID, []string{"requester"}); err != nil {
		t.Errorf("demote ana with bo present: %v", err)
	}
	if err := models.DeactivateUser(ctx, db, models.ByOperator(), bo.ID); !errors.Is(err, models.ErrLastRoleEditor) {
		t.Errorf("deactivate bo, now the last: %v", err)
	}
	// A custom role holding the permission counts too.
	if _, err := models.CreateRole(ctx, db, "Security officer"); err != nil {
		t.Fatal(err)
	}
	if err := models.SetPermission(ctx, db, models.ByOperator(), "security_officer", policy.RoleEditor, true); err != nil {
		t.Fatal(err)
	}
	if err := models.SetUserRoles(ctx, db, ana.ID, []string{"requester", "security_officer"}); err != nil {
		t.Fatal(err)
	}
	// But the admins then could no longer change roles, and Ana, who could, holds too little to
	// give back all the admins held: that would be lost for good.
	err = models.SetPermission(ctx, db, models.ByOperator(), "admin", policy.RoleEditor, false)
	if !models.IsLastAccessRefusal(err) || !errors.Is(err, outlay.ErrConflict) || !strings.Contains(err.Error(), "This would leave nobody who changes roles holding") {
		t.Errorf("revoke from admin while only security_officer, holding little, would edit roles: %v", err)
	}
	if err := models.DeleteRole(ctx, db, models.ByOperator(), "security_officer"); err != nil {
		t.Errorf("delete an editing role while the admins edit roles: %v", err)
	}
}

// A permission is never left with nobody able to give it back: only someone who holds a
// permission may give it, so a permission no role editor holds could never be granted again
// (revoking "Users: Edit" from the only admins' role used to lose it for good). One that a
// role editor still holds another way may go.
func TestPermissionsKeepSomeoneWhoCanGiveThemBack(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	ctx := context.Background()
	ana := env.CreateUser(t, acme, "ana@acme.example", "Ana", "admin", "approver")
	env.CreateUser(t, acme, "bob@acme.example", "Bob", "auditor")
	usersEdit := policy.Permission{Object: outlay.ObjUsers, Action: outlay.ActUpdate}
	rolesRead := policy.Permission{Object: "admin.roles", Action: outlay.ActRead}
	for _, p := range []policy.Permission{usersEdit, rolesRead} {
		err := models.SetPermission(ctx, db, models.ByPerson(ana.ID), policy.RoleAdmin, p, false)
		if !models.IsLastAccessRefusal(err) || !strings.Contains(err.Error(), "“"+p.Phrase()+"”") {
			t.Errorf("revoking %s from the admins' role: %v", p, err)
		}
	}
	set, err := policy.Load(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(set.Grants()[policy.RoleAdmin], usersEdit) || !slices.Contains(set.Grants()[policy.RoleAdmin], rolesRead) {
		t.Error("a refused revoke changed the admins' role")
	}
	// Ana approves through the approver role too, so the admins' role may stop approving.
	approve := policy.Permission{Object: "approvals", Action: outlay.ActApprove}
	if err := models.SetPermission(ctx, db, models.ByPerson(ana.ID), policy.RoleAdmin, approve, false); err != nil {
		t.Errorf("revoking what Ana still holds through another role: %v", err)
	}
	// And now the approver role is the only way a role editor holds it.
	if err := models.SetUserRoles(ctx, db, ana.ID, []string{"admin"}); !models.IsLastAccessRefusal(err) {
		t.Errorf("taking the approver role from Ana, the last editor approving: %v", err)
	}
	// Another admin, who does not approve, may not take Ana out; the operator, who can give it
	// back, may (a compromised admin is taken out without waiting on what she holds).
	cy := env.CreateUser(t, acme, "cy@acme.example", "Cy", "admin")
	if err := models.DeactivateUser(ctx, db, models.ByPerson(cy.ID), ana.ID); err == nil {
		t.Error("Cy deactivated Ana, the last editor approving")
	}
	if err := models.DeactivateUser(ctx, db, models.ByOperator(), ana.ID); err != nil {
		t.Errorf("the operator deactivating Ana: %v", err)
	}
}

// Two admins removing each other at the same moment: exactly one change wins, and someone
// can still edit roles afterwards. Repeated, because a race shows only sometimes.
func TestLastRoleEditorGuardsHoldUnderConcurrency(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	ctx := context.Background()
	for round := 0; round < 10; round++ {
		if err := db.Exec(`DELETE FROM users`).Error; err != nil {
			t.Fatal(err)
		}
		a := env.CreateUser(t, acme, "a@acme.example", "A", "admin")
		b := env.CreateUser(t, acme, "b@acme.example", "B", "admin")
		changes := []func() error{
			func() error { return models.DeactivateUser(ctx, db, models.ByOperator(), a.ID) },
			func() error { return models.SetUserRoles(ctx, db, b.ID, []string{"requester"}) },
		}
		errs := make([]error, len(changes))
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, change := range changes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				errs[i] = change()
			}()
		}
		close(start)
		wg.Wait()
		failed := 0
		for _, err := range errs {
			if errors.Is(err, models.ErrLastRoleEditor) {
				failed++
			} else if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
		if failed != 1 {
			t.Fatalf("round %d: %d changes refused, want exactly 1", round, failed)
		}
		var editors int
		db.Raw(`SELECT count(*) FROM users u JOIN user_roles ur ON ur.user_id = u.id
			JOIN casbin_rule c ON c.v0 = ur.role AND c.v1 = 'admin.roles' AND c.v2 = 'update'
			WHERE u.status = 'active'`).Scan(&editors)
		if editors != 1 {
			t.Fatalf("round %d: %d active role editors left, want 1", round, editors)
		}
	}
}

// The last active admin cannot step down or be deactivated, even while someone else may still
// edit roles: a role that may only edit roles could not give back the rest of Admin's powers.
func TestLastAdminRemains(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	ctx := context.Background()
	ana := env.CreateUser(t, acme, "ana@acme.example", "Ana", "admin")
	if _, err := models.CreateRole(ctx, db, "Role keeper"); err != nil {
		t.Fatal(err)
	}
	if err := models.SetPermission(ctx, db, models.ByOperator(), "role_keeper", policy.RoleEditor, true); err != nil {
		t.Fatal(err)
	}
	env.CreateUser(t, acme, "cy@acme.example", "Cy", "role_keeper")
	for name, change := range map[string]func() error{
		"take admin from the only admin": func() error { return models.SetUserRoles(ctx, db, ana.ID, []string{"requester"}) },
		"deactivate the only admin":      func() error { return models.DeactivateUser(ctx, db, models.ByOperator(), ana.ID) },
	} {
		if err := change(); !errors.Is(err, models.ErrLastAdmin) || !models.IsLastAccessRefusal(err) {
			t.Errorf("%s: %v, want ErrLastAdmin", name, err)
		}
	}
	if u, err := models.FindUserByEmail(ctx, db, "ana@acme.example"); err != nil || u.Status != models.UserActive {
		t.Fatalf("ana after the refusals: %+v %v", u, err)
	}
	// With a second admin, the first may step down.
	env.CreateUser(t, acme, "bo@acme.example", "Bo", "admin")
	if err := models.SetUserRoles(ctx, db, ana.ID, []string{"requester"}); err != nil {
		t.Errorf("ana steps down while bo is an admin: %v", err)
	}
}

// Granting a permission a role has, or revoking one it lacks, changes nothing: it reports so,
// and records nothing. Each real change is recorded once.
func TestChangePermissionReportsWhetherTheRoleChanged(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	ctx := context.Background()
	env.CreateUser(t, acme, "ana@acme.example", "Ana", "admin")
	perm := policy.Permission{Object: "requisitions", Action: outlay.ActRead}
	recorded := func() int64 {
		var n int64
		if err := db.Raw(`SELECT count(*) FROM audit_log WHERE event = 'policy.changed' AND subject = 'requester'`).Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, step := range []struct {
		what             string
		granted, changed bool
	}{
		{"granting what the requester has", true, false},
		{"revoking it", false, true},
		{"revoking it again", false, false},
		{"granting it back", true, true},
		{"granting it again", true, false},
	} {
		before := recorded()
		ch, err := models.ChangePermission(ctx, db, models.ByOperator(), "requester", perm, step.granted)
		if err != nil || ch.Changed != step.changed {
			t.Errorf("%s: changed %v (%v), want %v", step.what, ch.Changed, err, step.changed)
		}
		want := int64(0)
		if step.changed {
			want = 1
		}
		if got := recorded() - before; got != want {
			t.Errorf("%s: %d policy.changed records, want %d", step.what, got, want)
		}
	}
}

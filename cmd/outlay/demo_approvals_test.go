package main

import (
	"context"
	"testing"

	"outlay/internal/dbtest"
	"outlay/models"
)

// The demo's rules route a large requisition through the manager, the department head and
// an admin, and seeding twice adds nothing.
func TestSeedDemoApprovals(t *testing.T) {
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	ctx := context.Background()
	for range 2 {
		if err := seedDemoApprovals(ctx, db); err != nil {
			t.Fatal(err)
		}
	}
	rules, err := models.ListApprovalRules(ctx, db, false)
	if err != nil || len(rules) != 3 {
		t.Fatalf("%d rules, %v", len(rules), err)
	}
	boss := env.CreateUser(t, acme, "boss@acme.example", "Boss", "approver")
	head := env.CreateUser(t, acme, "head@acme.example", "Head", "approver")
	dept := models.Department{Name: "Engineering", HeadID: &head.ID}
	if err := db.Create(&dept).Error; err != nil {
		t.Fatal(err)
	}
	rita, err := models.CreateUser(ctx, db, models.NewUser{Email: "rita@acme.example", Name: "Rita", Password: dbtest.Password,
		Roles: []string{"requester"}, ManagerID: &boss.ID})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		amount int64
		steps  int
	}{{99_999, 1}, {100_000, 2}, {1_500_000, 3}} {
		r := dbtest.CreateRequisition(t, db, dbtest.Requisition{RequesterID: rita.ID, DepartmentID: &dept.ID,
			Lines: []dbtest.RequisitionLine{{Amount: c.amount}}})
		out := dbtest.SubmitRequisition(t, db, r)
		if len(out.Steps) != c.steps {
			t.Errorf("%d: %d steps, want %d", c.amount, len(out.Steps), c.steps)
		}
	}
}

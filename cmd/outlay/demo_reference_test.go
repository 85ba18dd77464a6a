package main

import (
	"context"
	"testing"

	"outlay/internal/dbtest"
	"outlay/models"
	"outlay/tenancy"
)

// The demo's reference data is complete and consistent: every department has a head, the
// requester reports to the approver, and this year's budgets are in the tenant's currency.
func TestSeedDemoReference(t *testing.T) {
	env, acme := dbtest.NewTenant(t)
	globex := env.NewTenant(t, "globex", "Globex")
	ctx := context.Background()
	for _, tc := range []struct {
		tenant   tenancy.Tenant
		currency string
	}{{acme, "USD"}, {globex, "EUR"}} {
		db := env.DB(t, tc.tenant)
		for _, p := range demoPeople {
			env.CreateUser(t, tc.tenant, demoEmail(p.local, tc.tenant.Slug), p.name, p.role)
		}
		if err := seedDemoReference(ctx, db, tc.tenant.Slug); err != nil {
			t.Fatalf("%s: %v", tc.tenant.Slug, err)
		}
		depts, _ := models.ListDepartments(ctx, db, models.RefFilter{Limit: 25})
		if depts.Total != 4 {
			t.Errorf("%s: %d departments", tc.tenant.Slug, depts.Total)
		}
		for _, d := range depts.Rows {
			if d.HeadName == "" {
				t.Errorf("%s: %s has no head", tc.tenant.Slug, d.Name)
			}
		}
		requester, _ := models.FindUserByEmail(ctx, db, demoEmail("requester", tc.tenant.Slug))
		approver, _ := models.FindUserByEmail(ctx, db, demoEmail("approver", tc.tenant.Slug))
		if requester.ManagerID == nil || *requester.ManagerID != approver.ID || requester.DepartmentID == nil {
			t.Errorf("%s: requester placed as %+v", tc.tenant.Slug, requester)
		}
		vendors, _ := models.ActiveVendors(ctx, db)
		gl, _ := models.ActiveGLAccounts(ctx, db)
		locations, _ := models.ActiveLocations(ctx, db)
		budgets, _ := models.ListBudgets(ctx, db, models.BudgetFilter{RefFilter: models.RefFilter{Limit: 25}})
		if len(vendors) != 5 || len(gl) != 6 || len(locations) != 2 || budgets.Total != 9 {
			t.Errorf("%s: %d vendors, %d GL accounts, %d locations, %d budgets", tc.tenant.Slug, len(vendors), len(gl), len(locations), budgets.Total)
		}
		if budgets.Total > 0 && budgets.Rows[0].Currency != tc.currency {
			t.Errorf("%s: budgets in %s", tc.tenant.Slug, budgets.Rows[0].Currency)
		}
	}
}

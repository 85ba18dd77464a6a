package main

import (
	"context"
	"testing"

	"outlay/internal/dbtest"
	"outlay/models"
)

// The demo's trips are in every state: a draft, one waiting for the approver, one returned
// with a comment, one withdrawn, one approved, and one the admin filed for the requester; a
// travel rule routes the large ones.
func TestSeedDemoTravel(t *testing.T) {
	env, acme := dbtest.NewTenant(t)
	ctx, db := context.Background(), env.DB(t, acme)
	for _, p := range demoPeople {
		env.CreateUser(t, acme, demoEmail(p.local, acme.Slug), p.name, p.role)
	}
	for _, seed := range []func() error{
		func() error { return seedDemoReference(ctx, db, acme.Slug) },
		func() error { return seedDemoApprovals(ctx, db) },
		func() error { return seedDemoTravel(ctx, db, acme.Slug) },
	} {
		if err := seed(); err != nil {
			t.Fatal(err)
		}
	}
	var trips []models.TravelRequest
	if err := db.Order("id").Find(&trips).Error; err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, tr := range trips {
		got[tr.Status]++
	}
	want := map[string]int{models.TravelDraft: 1, models.TravelSubmitted: 2, models.TravelRejected: 1, models.TravelWithdrawn: 1, models.TravelApproved: 1}
	for s, n := range want {
		if got[s] != n {
			t.Errorf("trips by status %v, want %v", got, want)
			break
		}
	}
	requester, _ := models.FindUserByEmail(ctx, db, demoEmail("requester", acme.Slug))
	admin, _ := models.FindUserByEmail(ctx, db, demoEmail("admin", acme.Slug))
	last := trips[len(trips)-1]
	if last.TravellerID != requester.ID || last.FiledByID != admin.ID {
		t.Errorf("the trip filed for the requester: traveller %d filer %d", last.TravellerID, last.FiledByID)
	}
	// The Berlin trip (2,740 in all) goes to the manager, then an admin.
	var steps int64
	db.Model(&models.ApprovalStep{}).Where("doc_type = ? AND doc_id = ?", models.DocTravel, trips[1].ID).Count(&steps)
	if steps != 2 {
		t.Errorf("the large trip has %d steps, want 2 (the travel rule: manager, then an admin)", steps)
	}
}

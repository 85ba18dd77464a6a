package main

import (
	"context"
	"testing"

	"outlay/internal/dbtest"
	"outlay/models"
)

// The demo's documents are in the states a first visit should meet: a draft, one waiting
// for the approver, one returned with a comment, and one ordered and partly received.
func TestSeedDemoDocuments(t *testing.T) {
	env, acme := dbtest.NewTenant(t)
	ctx, db := context.Background(), env.DB(t, acme)
	for _, p := range demoPeople {
		env.CreateUser(t, acme, demoEmail(p.local, acme.Slug), p.name, p.role)
	}
	for _, seed := range []func() error{
		func() error { return seedDemoReference(ctx, db, acme.Slug) },
		func() error { return seedDemoApprovals(ctx, db) },
		func() error { return seedDemoDocuments(ctx, db, acme.Slug) },
	} {
		if err := seed(); err != nil {
			t.Fatal(err)
		}
	}
	var counts []struct {
		Status string
		N      int
	}
	if err := db.Model(&models.Requisition{}).Select("status, count(*) AS n").Group("status").Order("status").Scan(&counts).Error; err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, c := range counts {
		got[c.Status] = c.N
	}
	want := map[string]int{models.RequisitionDraft: 1, models.RequisitionPending: 1, models.RequisitionRejected: 1, models.RequisitionOrdered: 1}
	if len(got) != len(want) {
		t.Errorf("requisitions by status %v, want %v", got, want)
	}
	for s, n := range want {
		if got[s] != n {
			t.Errorf("requisitions by status %v, want %v", got, want)
		}
	}
	approver, _ := models.FindUserByEmail(ctx, db, demoEmail("approver", acme.Slug))
	var waiting int64
	db.Model(&models.ApprovalStep{}).Where("status = ? AND approver_id = ?", models.StepPending, approver.ID).Count(&waiting)
	if waiting != 1 {
		t.Errorf("%d steps wait for the approver, want 1", waiting)
	}
	var po models.PurchaseOrder
	if err := db.First(&po).Error; err != nil || po.Number != "PO-000001" || po.Status != models.POPartiallyReceived {
		t.Errorf("purchase order %+v (%v)", po, err)
	}
}

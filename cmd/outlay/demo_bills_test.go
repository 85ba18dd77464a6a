package main

import (
	"context"
	"testing"

	"outlay/internal/dbtest"
	"outlay/models"
)

// The demo's bills, in both demo tenants (Globex keeps its books in euros): one of the
// Northwind order matched and approved, a second of it held with the reasons on its lines and
// routed to the admins by the rule for held bills, one without an order approved by the
// clerk's manager (no rule routes it, and a bill without an order is never approved by
// nobody), and a draft.
func TestSeedDemoBills(t *testing.T) {
	env := dbtest.NewEnv(t)
	for _, slug := range []string{"acme", "globex"} {
		tn := env.NewTenant(t, slug, slug)
		ctx, db := context.Background(), env.DB(t, tn)
		for _, p := range demoPeople {
			env.CreateUser(t, tn, demoEmail(p.local, slug), p.name, p.role)
		}
		for _, seed := range []func() error{
			func() error { return seedDemoReference(ctx, db, slug) },
			func() error { return seedDemoApprovals(ctx, db) },
			func() error { return seedDemoDocuments(ctx, db, slug) },
			func() error { return seedDemoBills(ctx, db, slug) },
		} {
			if err := seed(); err != nil {
				t.Fatalf("%s: %v", slug, err)
			}
		}
		var bills []models.Bill
		if err := db.Order("id").Find(&bills).Error; err != nil {
			t.Fatal(err)
		}
		if len(bills) != 4 {
			t.Fatalf("%s: %d bills", slug, len(bills))
		}
		type state struct{ status, match string }
		want := []state{{models.BillApproved, models.MatchMatched}, {models.BillSubmitted, models.MatchHeld},
			{models.BillApproved, models.MatchNone}, {models.BillDraft, models.MatchNone}}
		for i, b := range bills {
			if (state{b.Status, b.MatchStatus}) != want[i] {
				t.Errorf("%s: bill %s is %s/%s, want %v", slug, b.VendorInvoiceNumber, b.Status, b.MatchStatus, want[i])
			}
		}
		var notes []string
		db.Model(&models.BillLine{}).Where("bill_id = ?", bills[1].ID).Order("position").Pluck("match_note", &notes)
		if len(notes) != 2 || notes[0] == "" || notes[1] != "billed 1, received 0" {
			t.Errorf("%s: held notes %q", slug, notes)
		}
		var step models.ApprovalStep
		if err := db.Where("doc_type = ? AND doc_id = ?", models.DocBill, bills[1].ID).First(&step).Error; err != nil || step.Role == nil || *step.Role != "admin" {
			t.Errorf("%s: the held bill's step %+v (%v)", slug, step, err)
		}
		approver, err := models.FindUserByEmail(ctx, db, demoEmail("approver", slug))
		if err != nil {
			t.Fatal(err)
		}
		var steps []models.ApprovalStep
		db.Where("doc_type = ? AND doc_id = ?", models.DocBill, bills[2].ID).Find(&steps)
		if len(steps) != 1 || steps[0].Status != models.StepApproved || steps[0].ApproverID == nil || *steps[0].ApproverID != approver.ID {
			t.Errorf("%s: the bill without an order was approved through %+v, want one step approved by the clerk's manager", slug, steps)
		}
	}
}

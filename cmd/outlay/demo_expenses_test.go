package main

import (
	"bytes"
	"context"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"testing"

	"outlay"
	"outlay/internal/dbtest"
	"outlay/models"
	"outlay/storage"
)

// The demo's expense reports are in every state, each expense line with a receipt that is a
// real small picture, and a report started from an approved trip compares with its estimate.
func TestSeedDemoExpenses(t *testing.T) {
	env, acme := dbtest.NewTenant(t)
	ctx, db := context.Background(), env.DB(t, acme)
	blobs, err := storage.Open(ctx, "file://"+t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer blobs.Close()
	for _, p := range demoPeople {
		env.CreateUser(t, acme, demoEmail(p.local, acme.Slug), p.name, p.role)
	}
	for _, seed := range []func() error{
		func() error { return seedDemoReference(ctx, db, acme.Slug) },
		func() error { return seedDemoApprovals(ctx, db) },
		func() error { return seedDemoTravel(ctx, db, acme.Slug) },
		func() error { return seedDemoExpenses(ctx, db, blobs, acme.Slug) },
	} {
		if err := seed(); err != nil {
			t.Fatal(err)
		}
	}
	var reports []models.ExpenseReport
	if err := db.Order("id").Find(&reports).Error; err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, r := range reports {
		got[r.Status]++
	}
	for _, st := range outlay.ExpenseStatuses {
		if got[st] == 0 {
			t.Errorf("no demo report is %s: %v", st, got)
		}
	}
	var batches []models.ReimbursementBatch
	if err := db.Order("id").Find(&batches).Error; err != nil || len(batches) != 2 || batches[0].Status != outlay.BatchScheduled || batches[1].Status != outlay.BatchPaid {
		t.Errorf("reimbursement batches: %+v %v", batches, err)
	}
	var lines []models.ExpenseLine
	if err := db.Where("kind = ?", models.LineExpense).Find(&lines).Error; err != nil {
		t.Fatal(err)
	}
	for _, l := range lines {
		if l.ReceiptID == nil {
			t.Errorf("expense line %d (%s) has no receipt", l.ID, l.Merchant)
			continue
		}
		var a models.Attachment
		if err := db.First(&a, *l.ReceiptID).Error; err != nil {
			t.Fatal(err)
		}
		r, err := blobs.Open(ctx, a.StorageKey)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		_, _ = b.ReadFrom(r)
		r.Close()
		cfg, format, err := image.DecodeConfig(bytes.NewReader(b.Bytes()))
		if err != nil || cfg.Width < 100 || a.SizeBytes < 500 || (format != "png" && format != "jpeg") || a.ContentType != "image/"+format {
			t.Errorf("receipt %s of %s: %s %dx%d, %d bytes, %s (%v)", a.Filename, l.Merchant, format, cfg.Width, cfg.Height, a.SizeBytes, a.ContentType, err)
		}
	}
	var trip models.ExpenseReport
	if err := db.Where("travel_request_id IS NOT NULL").Take(&trip).Error; err != nil {
		t.Fatalf("no report started from a trip: %v", err)
	}
	cmp, err := models.CompareWithTrip(ctx, db, trip.ID)
	if err != nil || cmp == nil || cmp.Actual == 0 || cmp.Estimate != 101000 {
		t.Errorf("the trip's report against its estimate: %+v %v", cmp, err)
	}
}

package models_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"outlay"
	"outlay/internal/dbtest"
	"outlay/models"
)

// reqFixture is a tenant with what a requisition names, and a requester with no manager (so
// that a submission waits for the admins) and one whose manager must approve.
type reqFixture struct {
	db               *gorm.DB
	alone, routed    int64
	dept, vendor, gl int64
}

func newReqFixture(t *testing.T) reqFixture {
	t.Helper()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	alone := env.CreateUser(t, acme, "alone@acme.example", "Alone Requester", "requester")
	mgr := env.CreateUser(t, acme, "mgr@acme.example", "Mo Manager", "approver")
	routed, err := models.CreateUser(context.Background(), db, models.NewUser{Email: "routed@acme.example", Name: "Routed Requester",
		Password: dbtest.Password, Roles: []string{"requester"}, ManagerID: &mgr.ID})
	if err != nil {
		t.Fatal(err)
	}
	d := models.Department{Name: "Operations"}
	v := models.Vendor{Name: "Acme Supplies", Currency: "USD", Status: models.VendorActive}
	g := models.GLAccount{Code: "6000", Name: "Supplies"}
	for _, x := range []any{&d, &v, &g} {
		if err := db.Create(x).Error; err != nil {
			t.Fatal(err)
		}
	}
	return reqFixture{db: db, alone: alone.ID, routed: routed.ID, dept: d.ID, vendor: v.ID, gl: g.ID}
}

func (f reqFixture) input(desc string) models.RequisitionInput {
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	return models.RequisitionInput{Department: id(f.dept), Vendor: id(f.vendor), NeededBy: time.Now().AddDate(0, 1, 0).Format("2006-01-02"),
		Justification: "Restock", Lines: []models.LineInput{{Description: desc, Quantity: "1", UnitPrice: "9.99", GLAccount: id(f.gl)}}}
}

// Twenty requesters' submits at once take REQ-000001 to REQ-000020: no gaps, no duplicates.
func TestConcurrentSubmitsTakeGapFreeNumbers(t *testing.T) {
	t.Parallel()
	f := newReqFixture(t)
	ctx := context.Background()
	const n = 20
	ids := make([]int64, n)
	for i := range ids {
		owner := f.alone
		if i%2 == 1 {
			owner = f.routed
		}
		r, err := models.SaveRequisition(ctx, f.db, owner, 0, f.input(fmt.Sprintf("Item %d", i)), false)
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = r.ID
	}
	numbers := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range ids {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			owner := f.alone
			if i%2 == 1 {
				owner = f.routed
			}
			r, err := models.SubmitRequisition(ctx, f.db, owner, ids[i])
			if err == nil {
				numbers[i] = *r.Number
			}
			errs[i] = err
		}(i)
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("submit %d: %v", i, err)
		}
	}
	sort.Strings(numbers)
	for i, got := range numbers {
		if want := fmt.Sprintf("REQ-%06d", i+1); got != want {
			t.Fatalf("numbers %v: position %d is %s, want %s", numbers, i, got, want)
		}
	}
	var pending, steps int64
	f.db.Model(&models.Requisition{}).Where("status = ?", models.RequisitionPending).Count(&pending)
	f.db.Model(&models.ApprovalStep{}).Where("status = ?", models.StepPending).Count(&steps)
	if pending != n || steps != n {
		t.Errorf("%d pending with %d open steps, want %d each", pending, steps, n)
	}
}

// A submit that fails after taking its number rolls back whole: the number is given back and
// the requisition is still a draft without one.
func TestRolledBackSubmitGivesItsNumberBack(t *testing.T) {
	t.Parallel()
	f := newReqFixture(t)
	ctx := context.Background()
	first, err := models.SaveRequisition(ctx, f.db, f.routed, 0, f.input("First"), false)
	if err != nil {
		t.Fatal(err)
	}
	// A stray open step makes the engine refuse the route, after the number was taken.
	stray := models.ApprovalStep{DocType: models.DocRequisition, DocID: first.ID, Round: 1, Position: 1, Kind: models.StepUser,
		ApproverID: &f.alone, Status: models.StepPending}
	if err := f.db.Create(&stray).Error; err != nil {
		t.Fatal(err)
	}
	if _, err := models.SubmitRequisition(ctx, f.db, f.routed, first.ID); !errors.Is(err, outlay.ErrConflict) {
		t.Fatalf("submit with an open route: %v", err)
	}
	var r models.Requisition
	f.db.First(&r, first.ID)
	if r.Number != nil || r.Status != models.RequisitionDraft {
		t.Fatalf("half-submitted: %+v", r)
	}
	second, err := models.SaveRequisition(ctx, f.db, f.alone, 0, f.input("Second"), true)
	if err != nil {
		t.Fatal(err)
	}
	if *second.Number != "REQ-000001" {
		t.Errorf("the next submit took %s, want the number given back, REQ-000001", *second.Number)
	}
}

// Only the requester reads or changes their draft; their own list counts it.
func TestRequisitionDraftIsItsRequestersAlone(t *testing.T) {
	t.Parallel()
	f := newReqFixture(t)
	ctx := context.Background()
	r, err := models.SaveRequisition(ctx, f.db, f.alone, 0, f.input("Mine"), false)
	if err != nil {
		t.Fatal(err)
	}
	other := models.Viewer{UserID: f.routed, Roles: []string{"requester", "auditor"}, SeeAllKinds: []string{models.DocRequisition}}
	if _, err := models.GetRequisition(ctx, f.db, other, r.ID); !errors.Is(err, outlay.ErrNotFound) {
		t.Errorf("another reads the draft: %v", err)
	}
	if _, err := models.SaveRequisition(ctx, f.db, f.routed, r.ID, f.input("Theirs"), false); !errors.Is(err, outlay.ErrNotFound) {
		t.Errorf("another saves the draft: %v", err)
	}
	if _, err := models.SubmitRequisition(ctx, f.db, f.routed, r.ID); !errors.Is(err, outlay.ErrNotFound) {
		t.Errorf("another submits the draft: %v", err)
	}
	if err := models.DeleteRequisitionDraft(ctx, f.db, f.routed, r.ID); !errors.Is(err, outlay.ErrNotFound) {
		t.Errorf("another deletes the draft: %v", err)
	}
	list, err := models.ListRequisitions(ctx, f.db, other, models.RequisitionFilter{Limit: 10})
	if err != nil || list.Total != 0 {
		t.Errorf("everyone's list shows drafts: %+v %v", list, err)
	}
	mine, err := models.ListRequisitions(ctx, f.db, models.Viewer{UserID: f.alone}, models.RequisitionFilter{Mine: true, Query: "", Limit: 10})
	if err != nil || mine.Total != 1 || mine.Rows[0].TotalMinor != 999 || mine.Rows[0].LineCount != 1 {
		t.Errorf("own list %+v %v", mine, err)
	}
}

package models_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"gorm.io/gorm"

	"outlay"
	"outlay/internal/dbtest"
	"outlay/models"
)

// tripFixture is a tenant with a department, a GL account with a budget, a traveller whose
// manager approves, an assistant who may file for others, a colleague who may not, and an
// auditor who sees everyone's trips.
type tripFixture struct {
	db                                             *gorm.DB
	traveller, manager, assistant, colleague, audi *models.User
	dept, gl, budget                               int64
}

func newTripFixture(t *testing.T) tripFixture {
	t.Helper()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	f := tripFixture{db: db}
	f.manager = env.CreateUser(t, acme, "mo@acme.example", "Mo Manager", "approver")
	tr, err := models.CreateUser(context.Background(), db, models.NewUser{Email: "tess@acme.example", Name: "Tess Traveller",
		Password: dbtest.Password, Roles: []string{"requester"}, ManagerID: &f.manager.ID})
	if err != nil {
		t.Fatal(err)
	}
	f.traveller = tr
	f.assistant = env.CreateUser(t, acme, "asa@acme.example", "Asa Assistant", "admin")
	f.colleague = env.CreateUser(t, acme, "cole@acme.example", "Cole Colleague", "requester")
	f.audi = env.CreateUser(t, acme, "audi@acme.example", "Audi Auditor", "auditor")
	d := models.Department{Name: "Sales"}
	g := models.GLAccount{Code: "6500", Name: "Travel"}
	for _, x := range []any{&d, &g} {
		if err := db.Create(x).Error; err != nil {
			t.Fatal(err)
		}
	}
	year := time.Now().UTC().Year()
	b := models.Budget{DepartmentID: d.ID, GLAccountID: g.ID, PeriodStart: time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC),
		PeriodEnd: time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC), AmountMinor: 500000, Currency: "USD"}
	if err := db.Create(&b).Error; err != nil {
		t.Fatal(err)
	}
	f.dept, f.gl, f.budget = d.ID, g.ID, b.ID
	return f
}

func day(offset int) string { return time.Now().UTC().AddDate(0, 0, offset).Format(time.DateOnly) }

// input is a complete trip: out by air, on by rail, back by air.
func (f tripFixture) input() models.TravelInput {
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	return models.TravelInput{Department: id(f.dept), GLAccount: id(f.gl), Purpose: "Customer visits in Europe", Currency: "USD",
		Legs: []models.LegInput{
			{From: "Boston", To: "Paris", DepartOn: day(10), Mode: models.ModeAir},
			{From: "Paris", To: "Berlin", DepartOn: day(12), Mode: models.ModeRail},
			{From: "Berlin", To: "Boston", DepartOn: day(14), Mode: models.ModeAir},
		},
		Estimates: map[string]string{models.CostAirfare: "1,200.00", models.CostLodging: "600", models.CostMeals: "250.50"},
		Advance:   "300"}
}

func (f tripFixture) self(u *models.User) models.TravelFiler { return models.TravelFiler{UserID: u.ID} }

// approve has the traveller's manager approve trip id's pending step.
func (f tripFixture) approve(t *testing.T, id int64) {
	t.Helper()
	var step models.ApprovalStep
	if err := f.db.Where("doc_type = ? AND doc_id = ? AND status = ?", models.DocTravel, id, models.StepPending).Take(&step).Error; err != nil {
		t.Fatal(err)
	}
	mgr := models.Viewer{UserID: f.manager.ID, Roles: []string{"approver"}}
	if _, err := models.DecideStep(context.Background(), f.db, mgr, step.ID, models.Decision{Approve: true}); err != nil {
		t.Fatal(err)
	}
}

func (f tripFixture) count(t *testing.T) int64 {
	t.Helper()
	var n int64
	if err := f.db.Model(&models.TravelRequest{}).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestTravelDraftKeepsLegsEstimateAndSpan(t *testing.T) {
	t.Parallel()
	f := newTripFixture(t)
	ctx := context.Background()
	trip, err := models.SaveTravel(ctx, f.db, f.self(f.traveller), 0, f.input(), false)
	if err != nil {
		t.Fatal(err)
	}
	got, err := models.GetTravel(ctx, f.db, models.Viewer{UserID: f.traveller.ID}, trip.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != models.TravelDraft || got.Number != nil || got.TravellerID != f.traveller.ID || got.FiledByID != f.traveller.ID {
		t.Errorf("draft: status %s number %v traveller %d filer %d", got.Status, got.Number, got.TravellerID, got.FiledByID)
	}
	if got.AirfareMinor != 120000 || got.LodgingMinor != 60000 || got.MealsMinor != 25050 || got.EstimateTotalMinor != 205050 || got.AdvanceMinor != 30000 {
		t.Errorf("estimate: %+v", got.TravelRequest)
	}
	if got.Destinations != "Paris, Berlin, Boston" || got.Days() != 5 || len(got.Legs) != 3 || got.Legs[1].Mode != models.ModeRail {
		t.Errorf("legs: destinations %q days %d legs %+v", got.Destinations, got.Days(), got.Legs)
	}
	// Editing drops a leg and changes one: legs are matched by position.
	in := f.input()
	in.Legs = []models.LegInput{{From: "Boston", To: "Rome", DepartOn: day(20), ReturnOn: day(23), Mode: models.ModeAir}}
	if _, err := models.SaveTravel(ctx, f.db, f.self(f.traveller), trip.ID, in, false); err != nil {
		t.Fatal(err)
	}
	got, _ = models.GetTravel(ctx, f.db, models.Viewer{UserID: f.traveller.ID}, trip.ID)
	if len(got.Legs) != 1 || got.Legs[0].ID != trip.Legs[0].ID || got.Legs[0].ToPlace != "Rome" || got.Days() != 4 {
		t.Errorf("after edit: %+v days %d", got.Legs, got.Days())
	}
}

// Each mistake is named beside its field, every one at once, and nothing is stored.
func TestTravelRefusalNamesEachFieldAndStoresNothing(t *testing.T) {
	t.Parallel()
	f := newTripFixture(t)
	ctx := context.Background()
	in := f.input()
	in.Legs = []models.LegInput{
		{From: "Boston", To: "Paris", DepartOn: day(10), ReturnOn: day(8), Mode: models.ModeAir},          // back before it leaves
		{From: "Paris", To: "Berlin", DepartOn: day(5), Mode: models.ModeRail},                            // before the leg above
		{From: "", To: "Oslo", DepartOn: time.Now().AddDate(3, 0, 0).Format(time.DateOnly), Mode: "boat"}, // far future
	}
	in.Estimates[models.CostLodging] = "-5"
	in.Estimates[models.CostGround] = "12.345"
	in.Advance = "99999"
	_, err := models.SaveTravel(ctx, f.db, f.self(f.traveller), 0, in, false)
	verr, ok := outlay.AsValidation(err)
	if !ok {
		t.Fatalf("want validation errors, got %v", err)
	}
	want := map[string]string{
		"leg-0-return_on":      "The return is before the departure.",
		"leg-1-depart_on":      "Legs go in order: this one departs before the leg above it.",
		"leg-2-from":           "Say where the leg starts.",
		"leg-2-depart_on":      "Choose a date within two years from today.",
		"leg-2-mode":           "Choose air, rail, car or other.",
		"estimate-lodging":     "Enter an amount of zero or more.",
		"estimate-" + "ground": "",
		"advance":              "The advance cannot be more than the estimated total.",
	}
	for k, msg := range want {
		if got, ok := verr[k]; !ok || (msg != "" && got != msg) {
			t.Errorf("%s: %q, want %q", k, got, msg)
		}
	}
	if n := f.count(t); n != 0 {
		t.Errorf("%d requests stored after a refusal", n)
	}
	// Submitting needs legs, purpose, department, account and an estimate; a refused submit
	// stores nothing either.
	_, err = models.SaveTravel(ctx, f.db, f.self(f.traveller), 0, models.TravelInput{}, true)
	verr, _ = outlay.AsValidation(err)
	for _, k := range []string{"legs", "purpose", "department", "gl_account", "estimates"} {
		if verr[k] == "" {
			t.Errorf("submit without %s: no message (%v)", k, err)
		}
	}
	in = f.input()
	in.Legs[0].DepartOn = day(-1)
	_, err = models.SaveTravel(ctx, f.db, f.self(f.traveller), 0, in, true)
	if verr, _ := outlay.AsValidation(err); verr["leg-0-depart_on"] == "" {
		t.Errorf("submit with a past departure: %v", err)
	}
	if n := f.count(t); n != 0 {
		t.Errorf("%d requests stored after refused submits", n)
	}
}

// Only someone who may file travel for others names another traveller; the traveller and the
// filer both see and change the trip, and the traveller's manager approves it.
func TestTravelFiledForSomeoneElse(t *testing.T) {
	t.Parallel()
	f := newTripFixture(t)
	ctx := context.Background()
	in := f.input()
	in.Traveller = strconv.FormatInt(f.traveller.ID, 10)
	_, err := models.SaveTravel(ctx, f.db, f.self(f.colleague), 0, in, false)
	if verr, _ := outlay.AsValidation(err); verr["traveller"] != "You may file trips only for yourself." {
		t.Fatalf("colleague filing for another: %v", err)
	}
	trip, err := models.SaveTravel(ctx, f.db, models.TravelFiler{UserID: f.assistant.ID, ForOthers: true}, 0, in, false)
	if err != nil {
		t.Fatal(err)
	}
	if trip.TravellerID != f.traveller.ID || trip.FiledByID != f.assistant.ID {
		t.Fatalf("traveller %d filer %d", trip.TravellerID, trip.FiledByID)
	}
	// The traveller sees the draft and submits it; the colleague finds nothing.
	if _, err := models.GetTravel(ctx, f.db, models.Viewer{UserID: f.traveller.ID}, trip.ID); err != nil {
		t.Errorf("traveller reads the draft filed for them: %v", err)
	}
	if _, err := models.GetTravel(ctx, f.db, models.Viewer{UserID: f.colleague.ID}, trip.ID); !errors.Is(err, outlay.ErrNotFound) {
		t.Errorf("colleague reads it: %v", err)
	}
	if _, err := models.SaveTravel(ctx, f.db, f.self(f.colleague), trip.ID, f.input(), false); !errors.Is(err, outlay.ErrNotFound) {
		t.Errorf("colleague saves it: %v", err)
	}
	// The manager is away today and has Asa stand in for them: Asa, who filed the trip, may
	// not decide it, so is not told it waits for them.
	today := time.Now().UTC().Truncate(24 * time.Hour)
	if _, err := models.SetDelegation(ctx, f.db, f.manager.ID, models.NewDelegation{DelegateID: f.assistant.ID, StartsOn: today, EndsOn: today}, today); err != nil {
		t.Fatal(err)
	}
	notified := models.WithNotifier(ctx, &models.Notifier{OrgName: "Acme", BaseURL: "http://acme.localhost"})
	sub, err := models.SubmitTravel(notified, f.db, f.assistant.ID, trip.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	if sub.Status != models.TravelSubmitted || sub.Number == nil || *sub.Number != "TRV-000001" {
		t.Fatalf("submitted: %s %v", sub.Status, sub.Number)
	}
	var told []int64
	f.db.Raw(`SELECT recipient_id FROM notifications WHERE kind = 'notify_step_waiting' ORDER BY recipient_id`).Scan(&told)
	if !slices.Equal(told, []int64{f.manager.ID}) {
		t.Errorf("told the trip waits: %v, want only the manager %d (not Asa %d, who filed it)", told, f.manager.ID, f.assistant.ID)
	}
	var step models.ApprovalStep
	step = models.ApprovalStep{}
	if err := f.db.Where("doc_type = ? AND doc_id = ?", models.DocTravel, trip.ID).Take(&step).Error; err != nil {
		t.Fatal(err)
	}
	if step.ApproverID == nil || *step.ApproverID != f.manager.ID {
		t.Errorf("routed to %v, want the traveller's manager %d", step.ApproverID, f.manager.ID)
	}
	// The traveller cannot approve their own trip.
	if _, err := models.DecideStep(ctx, f.db, models.Viewer{UserID: f.traveller.ID, Roles: []string{"requester"}}, step.ID,
		models.Decision{Approve: true}); !errors.Is(err, models.ErrOwnDocument) {
		t.Errorf("traveller approves own trip: %v", err)
	}
}

// A trip goes draft → submitted → returned → submitted again (same number) → approved; an
// approved trip commits its estimated total against its department's budget.
func TestTravelApprovalFlowAndBudget(t *testing.T) {
	t.Parallel()
	f := newTripFixture(t)
	ctx := context.Background()
	mgr := models.Viewer{UserID: f.manager.ID, Roles: []string{"approver"}}
	trip, err := models.SaveTravel(ctx, f.db, f.self(f.traveller), 0, f.input(), true)
	if err != nil {
		t.Fatal(err)
	}
	pending := func() models.ApprovalStep {
		var s models.ApprovalStep
		if err := f.db.Where("doc_type = ? AND doc_id = ? AND status = ?", models.DocTravel, trip.ID, models.StepPending).Take(&s).Error; err != nil {
			t.Fatal(err)
		}
		return s
	}
	q, err := models.ApprovalQueue(ctx, f.db, mgr, models.QueueFilter{DocType: models.DocTravel})
	if err != nil || q.Total != 1 || q.Items[0].VendorName != "Paris, Berlin, Boston" || q.Items[0].TotalMinor != 205050 {
		t.Fatalf("queue: %+v %v", q, err)
	}
	details, err := models.ApprovalStepDetails(ctx, f.db, mgr, q.Items[0].StepID)
	if err != nil {
		t.Fatal(err)
	}
	if len(details.Lines) != 3 || details.Lines[0].Description != "Airfare" || details.Lines[2].AmountMinor != 25050 {
		t.Errorf("details lines: %+v", details.Lines)
	}
	if len(details.Budget) != 1 || details.Budget[0].ThisDocument.Minor != 205050 {
		t.Errorf("budget impact: %+v", details.Budget)
	}
	if _, err := models.DecideStep(ctx, f.db, mgr, pending().ID, models.Decision{Comment: "Fly economy"}); err != nil {
		t.Fatal(err)
	}
	got, _ := models.GetTravel(ctx, f.db, models.Viewer{UserID: f.traveller.ID}, trip.ID)
	if got.Status != models.TravelRejected || !got.Editable() || got.Rejection() == nil || got.Rejection().Comment != "Fly economy" {
		t.Fatalf("after rejection: %s %+v", got.Status, got.Rejection())
	}
	in := f.input()
	in.Estimates[models.CostAirfare] = "800"
	again, err := models.SaveTravel(ctx, f.db, f.self(f.traveller), trip.ID, in, true)
	if err != nil {
		t.Fatal(err)
	}
	if again.Status != models.TravelSubmitted || *again.Number != *trip.Number {
		t.Errorf("resubmitted: %s %v, want %v", again.Status, *again.Number, *trip.Number)
	}
	totals, _ := models.BudgetTotals(ctx, f.db, []int64{f.budget})
	if totals[f.budget].Committed != 0 {
		t.Errorf("committed before approval: %d", totals[f.budget].Committed)
	}
	if _, err := models.DecideStep(ctx, f.db, mgr, pending().ID, models.Decision{Approve: true}); err != nil {
		t.Fatal(err)
	}
	got, _ = models.GetTravel(ctx, f.db, models.Viewer{UserID: f.traveller.ID}, trip.ID)
	if got.Status != models.TravelApproved || got.DecidedAt == nil || len(got.Steps) != 2 {
		t.Fatalf("approved: %s steps %d", got.Status, len(got.Steps))
	}
	totals, _ = models.BudgetTotals(ctx, f.db, []int64{f.budget})
	if totals[f.budget].Committed != 165050 {
		t.Errorf("committed after approval: %d, want 165050", totals[f.budget].Committed)
	}
	docs, _ := models.BudgetDocuments(ctx, f.db, f.budget)
	if len(docs) != 1 || docs[0].DocType != models.DocTravel || docs[0].Number != *trip.Number {
		t.Errorf("budget documents: %+v", docs)
	}
	if _, err := models.SaveTravel(ctx, f.db, f.self(f.traveller), trip.ID, in, false); !errors.Is(err, outlay.ErrConflict) {
		t.Errorf("editing an approved trip: %v", err)
	}
}

// Withdrawing cancels the route: the approver no longer sees it; the draft is deleted only
// while it never had a number.
func TestTravelWithdrawAndVisibility(t *testing.T) {
	t.Parallel()
	f := newTripFixture(t)
	ctx := context.Background()
	draft, err := models.SaveTravel(ctx, f.db, f.self(f.traveller), 0, f.input(), false)
	if err != nil {
		t.Fatal(err)
	}
	auditor := models.Viewer{UserID: f.audi.ID, Roles: []string{"auditor"}, SeeAllKinds: []string{models.DocTravel}}
	mgr := models.Viewer{UserID: f.manager.ID, Roles: []string{"approver"}}
	for name, v := range map[string]models.Viewer{"auditor": auditor, "manager": mgr} {
		if _, err := models.GetTravel(ctx, f.db, v, draft.ID); !errors.Is(err, outlay.ErrNotFound) {
			t.Errorf("%s reads a draft: %v", name, err)
		}
	}
	if _, err := models.SubmitTravel(ctx, f.db, f.traveller.ID, draft.ID, ""); err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]models.Viewer{"auditor": auditor, "manager": mgr} {
		if _, err := models.GetTravel(ctx, f.db, v, draft.ID); err != nil {
			t.Errorf("%s reads a submitted trip: %v", name, err)
		}
	}
	if _, err := models.GetTravel(ctx, f.db, models.Viewer{UserID: f.colleague.ID}, draft.ID); !errors.Is(err, outlay.ErrNotFound) {
		t.Errorf("colleague reads a submitted trip: %v", err)
	}
	list, err := models.ListTravel(ctx, f.db, auditor, models.TravelFilter{Query: "berlin", Limit: 10})
	if err != nil || list.Total != 1 {
		t.Errorf("everyone's list for the auditor: %+v %v", list, err)
	}
	if err := models.DeleteTravelDraft(ctx, f.db, f.traveller.ID, draft.ID); !errors.Is(err, outlay.ErrConflict) {
		t.Errorf("delete a submitted trip: %v", err)
	}
	w, err := models.WithdrawTravel(ctx, f.db, f.traveller.ID, draft.ID)
	if err != nil || w.Status != models.TravelWithdrawn {
		t.Fatalf("withdraw: %v %+v", err, w)
	}
	if n, _ := models.QueueCount(ctx, f.db, mgr); n != 0 {
		t.Errorf("withdrawn trip still waits for the manager: %d", n)
	}
	if _, err := models.WithdrawTravel(ctx, f.db, f.traveller.ID, draft.ID); !errors.Is(err, outlay.ErrConflict) {
		t.Errorf("withdraw twice: %v", err)
	}
	other, _ := models.SaveTravel(ctx, f.db, f.self(f.traveller), 0, f.input(), false)
	if err := models.DeleteTravelDraft(ctx, f.db, f.colleague.ID, other.ID); !errors.Is(err, outlay.ErrNotFound) {
		t.Errorf("colleague deletes a draft: %v", err)
	}
	if err := models.DeleteTravelDraft(ctx, f.db, f.traveller.ID, other.ID); err != nil {
		t.Errorf("delete own draft: %v", err)
	}
}

// Whoever filed a trip for someone else never approves it: a step that would name them goes
// to the traveller's manager, the queue leaves it out for them, and deciding it is refused,
// even through a role they hold.
func TestTravelFilerNeverApprovesTheTrip(t *testing.T) {
	t.Parallel()
	f := newTripFixture(t)
	ctx := context.Background()
	other, err := models.CreateUser(ctx, f.db, models.NewUser{Email: "ada@acme.example", Name: "Ada Admin", Password: dbtest.Password, Roles: []string{"admin"}})
	if err != nil {
		t.Fatal(err)
	}
	// Cole has no manager: his trip goes to the admins, among whom is Asa, who filed it.
	in := f.input()
	in.Traveller = strconv.FormatInt(f.colleague.ID, 10)
	trip, err := models.SaveTravel(ctx, f.db, models.TravelFiler{UserID: f.assistant.ID, ForOthers: true}, 0, in, true)
	if err != nil {
		t.Fatal(err)
	}
	var step models.ApprovalStep
	if err := f.db.Where("doc_type = ? AND doc_id = ?", models.DocTravel, trip.ID).Take(&step).Error; err != nil {
		t.Fatal(err)
	}
	if step.DocRequesterID != f.colleague.ID || step.DocFilerID == nil || *step.DocFilerID != f.assistant.ID {
		t.Errorf("the step carries traveller %d and filer %v, want %d and %d", step.DocRequesterID, step.DocFilerID, f.colleague.ID, f.assistant.ID)
	}
	asa := models.Viewer{UserID: f.assistant.ID, Roles: []string{"admin"}}
	if n, _ := models.QueueCount(ctx, f.db, asa); n != 0 {
		t.Errorf("the filer's queue counts %d", n)
	}
	if _, err := models.DecideStep(ctx, f.db, asa, step.ID, models.Decision{Approve: true}); !errors.Is(err, models.ErrOwnDocument) {
		t.Errorf("the filer approves the trip they filed: %v", err)
	}
	ada := models.Viewer{UserID: other.ID, Roles: []string{"admin"}}
	if n, _ := models.QueueCount(ctx, f.db, ada); n != 1 {
		t.Errorf("another admin's queue counts %d, want 1", n)
	}
	if _, err := models.DecideStep(ctx, f.db, ada, step.ID, models.Decision{Approve: true}); err != nil {
		t.Errorf("another admin approves: %v", err)
	}
	// A rule naming the filer falls to the traveller's manager instead.
	rule, err := models.CreateApprovalRule(ctx, f.db, models.RuleInput{Name: "Asa checks trips", DocType: models.DocTravel, Priority: "10",
		Currency: "USD", BudgetCheck: models.BudgetCheckWarn, Active: true,
		Steps: []models.RuleStepInput{{Kind: models.StepUser, UserID: &f.assistant.ID}}})
	if err != nil {
		t.Fatal(err)
	}
	in.Traveller = strconv.FormatInt(f.traveller.ID, 10)
	trip, err = models.SaveTravel(ctx, f.db, models.TravelFiler{UserID: f.assistant.ID, ForOthers: true}, 0, in, true)
	if err != nil {
		t.Fatal(err)
	}
	step = models.ApprovalStep{}
	if err := f.db.Where("doc_type = ? AND doc_id = ?", models.DocTravel, trip.ID).Take(&step).Error; err != nil {
		t.Fatal(err)
	}
	if step.ApproverID == nil || *step.ApproverID != f.manager.ID || step.RuleID == nil || *step.RuleID != rule.ID {
		t.Errorf("a step naming the filer waits for %v (rule %v), want the manager %d", step.ApproverID, step.RuleID, f.manager.ID)
	}
}

// A leg leaves on or after the day the legs above it get to: the day a return leg comes back,
// or the day a one-way leg leaves; the same day is fine. One that leaves earlier is refused
// beside its departure, naming the day it may leave from.
func TestTravelLegDepartsNoEarlierThanTheLegAboveReturns(t *testing.T) {
	t.Parallel()
	f := newTripFixture(t)
	ctx := context.Background()
	back := time.Now().UTC().AddDate(0, 0, 14).Format("2 Jan 2006")
	for _, c := range []struct {
		name string
		legs []models.LegInput
		want map[string]string // messages by field; none: saved
	}{
		{"departs while the return leg above is away", []models.LegInput{
			{From: "Boston", To: "Paris", DepartOn: day(10), ReturnOn: day(14), Mode: models.ModeAir},
			{From: "Boston", To: "Denver", DepartOn: day(12), Mode: models.ModeAir}},
			map[string]string{"leg-1-depart_on": "Legs go in order: this one departs before the leg above it returns, on " + back +
				". Choose a date from then on, or put the legs in the order they are travelled."}},
		{"departs the day the return leg above comes back", []models.LegInput{
			{From: "Boston", To: "Paris", DepartOn: day(10), ReturnOn: day(14), Mode: models.ModeAir},
			{From: "Boston", To: "Denver", DepartOn: day(14), Mode: models.ModeAir}}, nil},
		{"departs the day the one-way leg above leaves", []models.LegInput{
			{From: "Boston", To: "New York", DepartOn: day(10), Mode: models.ModeRail},
			{From: "New York", To: "Paris", DepartOn: day(10), ReturnOn: day(12), Mode: models.ModeAir}}, nil},
		{"departs before the one-way leg above", []models.LegInput{
			{From: "Boston", To: "New York", DepartOn: day(10), Mode: models.ModeRail},
			{From: "New York", To: "Paris", DepartOn: day(9), Mode: models.ModeAir}},
			map[string]string{"leg-1-depart_on": "Legs go in order: this one departs before the leg above it."}},
		{"a return leg's return is where the next one may leave from, not its departure", []models.LegInput{
			{From: "Boston", To: "Paris", DepartOn: day(10), ReturnOn: day(14), Mode: models.ModeAir},
			{From: "Boston", To: "Denver", DepartOn: day(15), Mode: models.ModeAir},
			{From: "Denver", To: "Boston", DepartOn: day(13), Mode: models.ModeAir}},
			map[string]string{"leg-2-depart_on": "Legs go in order: this one departs before the leg above it."}},
	} {
		in := f.input()
		in.Legs = c.legs
		trip, err := models.SaveTravel(ctx, f.db, f.self(f.traveller), 0, in, false)
		if c.want == nil {
			if err != nil {
				t.Errorf("%s: refused: %v", c.name, err)
			} else if err := models.DeleteTravelDraft(ctx, f.db, f.traveller.ID, trip.ID); err != nil {
				t.Fatal(err)
			}
			continue
		}
		verr, ok := outlay.AsValidation(err)
		if !ok {
			t.Errorf("%s: want a refusal, got %v", c.name, err)
			continue
		}
		for k, msg := range c.want {
			if verr[k] != msg {
				t.Errorf("%s: %s says %q, want %q", c.name, k, verr[k], msg)
			}
		}
		if len(verr) != len(c.want) {
			t.Errorf("%s: refused for %v, want only %v", c.name, verr, c.want)
		}
	}
	if n := f.count(t); n != 0 {
		t.Errorf("%d trips stored", n)
	}
}

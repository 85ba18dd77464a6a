package main

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"outlay/models"
)

// seedDemoTravel gives a demo tenant a travel approval rule (large trips go to an admin after
// the manager) and trips in every state: the
// requester's draft, one waiting for the approver, one returned with a comment, one withdrawn,
// one approved and upcoming, and one the admin filed for the requester. They go through the
// same functions the pages call, so numbers, routes, budgets and History are all real.
func seedDemoTravel(ctx context.Context, db *gorm.DB, slug string) error {
	user := func(local string) (int64, error) {
		u, err := models.FindUserByEmail(ctx, db, demoEmail(local, slug))
		if err != nil {
			return 0, fmt.Errorf("demo person %s: %w", local, err)
		}
		return u.ID, nil
	}
	requester, err := user("requester")
	if err != nil {
		return err
	}
	approver, err := user("approver")
	if err != nil {
		return err
	}
	admin, err := user("admin")
	if err != nil {
		return err
	}
	var dept, gl int64
	if err := db.WithContext(ctx).Model(&models.Department{}).Where("name = ?", "Engineering").Select("id").Scan(&dept).Error; err != nil || dept == 0 {
		return fmt.Errorf("demo travel: no Engineering department (%v)", err)
	}
	if err := db.WithContext(ctx).Model(&models.GLAccount{}).Where("code = ?", "6300").Select("id").Scan(&gl).Error; err != nil || gl == 0 {
		return fmt.Errorf("demo travel: no travel GL account 6300 (%v)", err)
	}
	settings, err := models.Settings(ctx, db)
	if err != nil {
		return err
	}
	var rules int64
	if err := db.WithContext(ctx).Model(&models.ApprovalRule{}).Where("doc_type = ?", models.DocTravel).Count(&rules).Error; err != nil {
		return err
	}
	if rules == 0 {
		_, err := models.CreateApprovalRule(ctx, db, models.RuleInput{Name: "Trips of 2,500 and over: the manager, then an admin",
			DocType: models.DocTravel, Priority: "10", MinAmount: "2500", Currency: settings.DefaultCurrency, BudgetCheck: models.BudgetCheckWarn,
			Active: true, Steps: []models.RuleStepInput{{Kind: models.StepManager}, {Kind: models.StepRole, Role: "admin"}}})
		if err != nil {
			return fmt.Errorf("demo travel rule: %w", err)
		}
	}

	day := func(n int) string { return time.Now().UTC().AddDate(0, 0, n).Format(time.DateOnly) }
	ids := func(n int64) string { return fmt.Sprint(n) }
	trip := func(purpose string, legs []models.LegInput, airfare, lodging, ground, meals, advance string) models.TravelInput {
		return models.TravelInput{Department: ids(dept), GLAccount: ids(gl), Purpose: purpose, Legs: legs, Advance: advance,
			Estimates: map[string]string{models.CostAirfare: airfare, models.CostLodging: lodging, models.CostGround: ground, models.CostMeals: meals}}
	}
	save := func(f models.TravelFiler, in models.TravelInput, submit bool) (*models.TravelRequest, error) {
		t, err := models.SaveTravel(ctx, db, f, 0, in, submit)
		if err != nil {
			return nil, fmt.Errorf("demo trip %q: %w", in.Purpose, err)
		}
		return t, nil
	}
	decide := func(t *models.TravelRequest, d models.Decision) error {
		return decideDemoStep(ctx, db, models.Viewer{UserID: approver, Roles: []string{"approver"}}, models.DocTravel, t.ID, d)
	}
	riley := models.TravelFiler{UserID: requester}

	if _, err := save(riley, trip("Customer onboarding workshop in Chicago.",
		[]models.LegInput{{From: "San Francisco", To: "Chicago", DepartOn: day(40), ReturnOn: day(42), Mode: models.ModeAir}},
		"480", "390", "60", "", ""), false); err != nil {
		return err
	}
	if _, err := save(riley, trip("Platform conference in Berlin, then the Munich office.",
		[]models.LegInput{{From: "San Francisco", To: "Berlin", DepartOn: day(30), Mode: models.ModeAir},
			{From: "Berlin", To: "Munich", DepartOn: day(33), Mode: models.ModeRail},
			{From: "Munich", To: "San Francisco", DepartOn: day(35), Mode: models.ModeAir}},
		"1,380", "920", "140", "300", "250"), true); err != nil {
		return err
	}
	returned, err := save(riley, trip("Partner summit in London.",
		[]models.LegInput{{From: "San Francisco", To: "London", DepartOn: day(25), ReturnOn: day(29), Mode: models.ModeAir}},
		"2,100", "1,150", "120", "280", ""), true)
	if err != nil {
		return err
	}
	if err := decide(returned, models.Decision{Comment: "Business class is not covered: please price economy and resubmit."}); err != nil {
		return err
	}
	withdrawn, err := save(riley, trip("Recruiting fair in Austin.",
		[]models.LegInput{{From: "San Francisco", To: "Austin", DepartOn: day(18), ReturnOn: day(19), Mode: models.ModeAir}},
		"360", "210", "", "90", ""), true)
	if err != nil {
		return err
	}
	if _, err := models.WithdrawTravel(ctx, db, requester, withdrawn.ID); err != nil {
		return fmt.Errorf("demo withdrawal: %w", err)
	}
	approved, err := save(riley, trip("Site visit at the Seattle data centre.",
		[]models.LegInput{{From: "San Francisco", To: "Seattle", DepartOn: day(12), ReturnOn: day(14), Mode: models.ModeAir}},
		"290", "420", "80", "150", "100"), true)
	if err != nil {
		return err
	}
	if err := decide(approved, models.Decision{Approve: true, Comment: "Enjoy the trip."}); err != nil {
		return err
	}
	forRiley := trip("Sales kickoff in Denver, booked by the admin.",
		[]models.LegInput{{From: "San Francisco", To: "Denver", DepartOn: day(50), ReturnOn: day(52), Mode: models.ModeAir}},
		"330", "400", "50", "120", "")
	forRiley.Traveller = ids(requester)
	_, err = save(models.TravelFiler{UserID: admin, ForOthers: true}, forRiley, true)
	return err
}

// decideDemoStep decides, as v, the step of document id of docType now waiting for a decision.
func decideDemoStep(ctx context.Context, db *gorm.DB, v models.Viewer, docType string, id int64, d models.Decision) error {
	var step models.ApprovalStep
	if err := db.WithContext(ctx).Where("doc_type = ? AND doc_id = ? AND status = ?", docType, id, models.StepPending).
		First(&step).Error; err != nil {
		return fmt.Errorf("demo approval of %s %d: %w", docType, id, err)
	}
	_, err := models.DecideStep(ctx, db, v, step.ID, d)
	return err
}

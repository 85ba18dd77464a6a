package main

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"outlay/models"
)

// seedDemoApprovals gives a demo tenant approval rules for requisitions: small requests go
// to the requester's manager, larger ones to the department head too, and the largest to an
// admin as well; each warns when a budget would be exceeded. A tenant that already has rules
// is left alone, so the demo can start again and again.
func seedDemoApprovals(ctx context.Context, db *gorm.DB) error {
	var n int64
	if err := db.WithContext(ctx).Model(&models.ApprovalRule{}).Count(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	settings, err := models.Settings(ctx, db)
	if err != nil {
		return err
	}
	manager := models.RuleStepInput{Kind: models.StepManager}
	head := models.RuleStepInput{Kind: models.StepDepartmentHead}
	admin := models.RuleStepInput{Kind: models.StepRole, Role: "admin"}
	for _, r := range []models.RuleInput{
		{Name: "Under 1,000: the manager", Priority: "10", MaxAmount: "1000", Steps: []models.RuleStepInput{manager}},
		{Name: "1,000 and over: the manager, then the department head", Priority: "20", MinAmount: "1000", Steps: []models.RuleStepInput{manager, head}},
		{Name: "10,000 and over: an admin as well", Priority: "30", MinAmount: "10000", Steps: []models.RuleStepInput{admin}},
	} {
		r.DocType, r.Currency, r.BudgetCheck, r.Active = models.DocRequisition, settings.DefaultCurrency, models.BudgetCheckWarn, true
		if _, err := models.CreateApprovalRule(ctx, db, r); err != nil {
			return fmt.Errorf("demo approval rule %q: %w", r.Name, err)
		}
	}
	return nil
}

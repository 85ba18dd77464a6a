package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"

	"outlay/models"
)

// seedDemoDocuments gives a demo tenant requisitions in every state a person meets on a
// first visit: a draft, one waiting for the approver, one returned with a comment, and one
// approved, ordered and partly received. They go through the same functions the pages call,
// so the approval route, numbers, purchase order and audit trail are all real.
func seedDemoDocuments(ctx context.Context, db *gorm.DB, slug string) error {
	person := func(local string) (models.Viewer, error) {
		u, err := models.FindUserByEmail(ctx, db, demoEmail(local, slug))
		if err != nil {
			return models.Viewer{}, fmt.Errorf("demo person %s: %w", local, err)
		}
		roles := map[string][]string{"requester": {"requester"}, "approver": {"approver"}, "ap": {"ap_clerk"}, "admin": {"admin"}}[local]
		v := models.Viewer{UserID: u.ID, Roles: roles}
		if local == "admin" || local == "ap" {
			v.SeeAllKinds = []string{models.DocRequisition, models.DocPurchaseOrder}
		}
		return v, nil
	}
	requester, err := person("requester")
	if err != nil {
		return err
	}
	approver, err := person("approver")
	if err != nil {
		return err
	}
	clerk, err := person("ap")
	if err != nil {
		return err
	}
	idOf := func(model any, column, value string) (string, error) {
		var id int64
		err := db.WithContext(ctx).Model(model).Where(column+" = ?", value).Select("id").Scan(&id).Error
		if err == nil && id == 0 {
			err = fmt.Errorf("no %s %q", column, value)
		}
		return strconv.FormatInt(id, 10), err
	}
	ids := map[string]string{}
	for key, q := range map[string]struct {
		model         any
		column, value string
	}{
		"eng": {&models.Department{}, "name", "Engineering"}, "mkt": {&models.Department{}, "name", "Marketing"},
		"contoso": {&models.Vendor{}, "name", "Contoso Hardware"}, "northwind": {&models.Vendor{}, "name", "Northwind Cloud"},
		"fabrikam": {&models.Vendor{}, "name", "Fabrikam Office Supply"}, "tailspin": {&models.Vendor{}, "name", "Tailspin Travel"},
		"software": {&models.GLAccount{}, "code", "6000"}, "hardware": {&models.GLAccount{}, "code", "6100"},
		"supplies": {&models.GLAccount{}, "code", "6200"}, "travel": {&models.GLAccount{}, "code", "6300"},
	} {
		if ids[key], err = idOf(q.model, q.column, q.value); err != nil {
			return fmt.Errorf("demo documents: %w", err)
		}
	}
	neededBy := time.Now().AddDate(0, 0, 21).Format("2006-01-02")
	save := func(in models.RequisitionInput, submit bool) (*models.Requisition, error) {
		in.NeededBy = neededBy
		r, err := models.SaveRequisition(ctx, db, requester.UserID, 0, in, submit)
		if err != nil {
			return nil, fmt.Errorf("demo requisition %q: %w", in.Justification, err)
		}
		return r, nil
	}
	decide := func(r *models.Requisition, d models.Decision) error {
		var step models.ApprovalStep
		if err := db.WithContext(ctx).Where("doc_type = ? AND doc_id = ? AND status = ?", models.DocRequisition, r.ID, models.StepPending).First(&step).Error; err != nil {
			return fmt.Errorf("demo approval of %d: %w", r.ID, err)
		}
		_, err := models.DecideStep(ctx, db, approver, step.ID, d)
		return err
	}

	if _, err := save(models.RequisitionInput{Department: ids["mkt"], Vendor: ids["fabrikam"], Justification: "Banners and badges for the spring trade fair.",
		Lines: []models.LineInput{{Description: "Roll-up banner", Quantity: "2", UnitPrice: "149", GLAccount: ids["supplies"]},
			{Description: "Name badges (pack of 100)", Quantity: "1", UnitPrice: "38.50", GLAccount: ids["supplies"]}}}, false); err != nil {
		return err
	}
	if _, err := save(models.RequisitionInput{Department: ids["eng"], Vendor: ids["contoso"], Justification: "Laptops for the two engineers joining next month.",
		Lines: []models.LineInput{{Description: "14-inch laptop, 32 GB", Quantity: "2", UnitPrice: "1,849", TaxRate: "8.5", GLAccount: ids["hardware"]},
			{Description: "USB-C dock", Quantity: "2", UnitPrice: "189", TaxRate: "8.5", GLAccount: ids["hardware"]}}}, true); err != nil {
		return err
	}
	returned, err := save(models.RequisitionInput{Department: ids["eng"], Vendor: ids["tailspin"], Justification: "Flights to the platform conference in Berlin.",
		Lines: []models.LineInput{{Description: "Return flight SFO–BER", Quantity: "1", UnitPrice: "1,420", GLAccount: ids["travel"]}}}, true)
	if err != nil {
		return err
	}
	if err := decide(returned, models.Decision{Comment: "Please book economy through the travel desk and resubmit."}); err != nil {
		return err
	}
	ordered, err := save(models.RequisitionInput{Department: ids["eng"], Vendor: ids["northwind"], Justification: "Build minutes for the CI pipeline this quarter.",
		Lines: []models.LineInput{{Description: "Build minutes (10,000)", Quantity: "3", UnitPrice: "120", GLAccount: ids["software"]},
			{Description: "Artifact storage, 500 GB", Quantity: "1", UnitPrice: "75", GLAccount: ids["software"]}}}, true)
	if err != nil {
		return err
	}
	if err := decide(ordered, models.Decision{Approve: true, Comment: "Fine for this quarter."}); err != nil {
		return err
	}
	po, err := models.CreatePurchaseOrder(ctx, db, clerk, ordered.ID)
	if err != nil {
		return fmt.Errorf("demo purchase order: %w", err)
	}
	d, err := models.GetPurchaseOrder(ctx, db, po.ID)
	if err != nil {
		return err
	}
	_, err = models.RecordReceipt(ctx, db, clerk.UserID, po.ID, models.ReceiptInput{Quantities: map[int64]string{d.Lines[0].ID: "2"}, Note: "Two of three blocks provisioned."})
	return err
}

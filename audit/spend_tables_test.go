package audit_test

import (
	"reflect"
	"strconv"
	"testing"
	"time"

	"outlay/internal/dbtest"
	"outlay/models"
)

// The tables of reference data and spend documents: create, update and delete of each leave
// exactly one record with the record's id and exactly the changed columns, in dependency
// order (deletes in reverse).
func TestSpendTablesCreateUpdateDelete(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme).WithContext(asUser())
	owner := models.User{Email: "bo@acme.example", Name: "Bo", Status: models.UserActive}
	if err := db.Create(&owner).Error; err != nil {
		t.Fatal(err)
	}
	today := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	number := "REQ-000001"
	dept := models.Department{Name: "Engineering"}
	if err := db.Create(&dept).Error; err != nil {
		t.Fatal(err)
	}

	location := &models.Location{Name: "HQ"}
	vendor := &models.Vendor{Name: "Paper Co", Currency: "USD", Status: models.VendorActive, PaymentTermsDays: 30}
	gl := &models.GLAccount{Code: "6000", Name: "Software"}
	budget := &models.Budget{DepartmentID: dept.ID, PeriodStart: today, PeriodEnd: today.AddDate(1, 0, -1), AmountMinor: 100000, Currency: "USD"}
	req := &models.Requisition{Number: &number, RequesterID: owner.ID, DepartmentID: &dept.ID, Currency: "USD", Status: models.RequisitionPending, TotalMinor: 1000}
	line := &models.RequisitionLine{Position: 1, Description: "Licence", QuantityMilli: 1000, UnitPriceMinor: 1000, AmountMinor: 1000}
	rule := &models.ApprovalRule{DocType: models.DocRequisition, Name: "All", Currency: "USD", BudgetCheck: models.BudgetCheckWarn, Active: true}
	ruleStep := &models.ApprovalRuleStep{Position: 1, Kind: models.StepManager}
	step := &models.ApprovalStep{DocType: models.DocRequisition, Round: 1, Position: 1, Kind: models.StepUser, ApproverID: &owner.ID, Status: models.StepPending}
	delegation := &models.ApprovalDelegation{UserID: owner.ID, StartsOn: today, EndsOn: today.AddDate(0, 0, 7)}
	po := &models.PurchaseOrder{Number: "PO-000001", Currency: "USD", TotalMinor: 1000, SubtotalMinor: 1000, Status: models.POOpen, CreatedBy: owner.ID}
	poLine := &models.PurchaseOrderLine{Position: 1, Description: "Licence", QuantityMilli: 1000, UnitPriceMinor: 1000, AmountMinor: 1000}
	receipt := &models.Receipt{ReceivedBy: owner.ID, ReceivedOn: today}
	receiptLine := &models.ReceiptLine{QuantityMilli: 500}
	comment := &models.Comment{DocType: models.DocRequisition, AuthorID: owner.ID, Body: "Urgent"}
	attachment := &models.Attachment{DocType: models.DocRequisition, UploadedBy: owner.ID, Filename: "quote.pdf", ContentType: "application/pdf",
		SizeBytes: 10, SHA256: "0000000000000000000000000000000000000000000000000000000000000000", StorageKey: "acme/0000"}
	other := models.User{Email: "cy@acme.example", Name: "Cy", Status: models.UserActive}
	if err := db.Create(&other).Error; err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		table   string
		row     any
		link    func() // fills the row's references to rows created before it
		column  string // updated to value
		value   any
		changed []string
	}{
		{"locations", location, nil, "name", "Head office", []string{"name", "updated_at"}},
		{"vendors", vendor, nil, "status", models.VendorOnHold, []string{"status", "updated_at"}},
		{"gl_accounts", gl, nil, "name", "Software licences", []string{"name", "updated_at"}},
		{"budgets", budget, func() { budget.GLAccountID = gl.ID }, "amount_minor", 250000, []string{"amount_minor", "updated_at"}},
		{"requisitions", req, func() { req.VendorID, req.LocationID = &vendor.ID, &location.ID }, "status", models.RequisitionApproved, []string{"status", "updated_at"}},
		{"requisition_lines", line, func() { line.RequisitionID, line.GLAccountID = req.ID, &gl.ID }, "quantity_milli", 2000, []string{"quantity_milli", "updated_at"}},
		{"approval_rules", rule, nil, "budget_check", models.BudgetCheckBlock, []string{"budget_check", "updated_at"}},
		{"approval_rule_steps", ruleStep, func() { ruleStep.RuleID = rule.ID }, "position", 2, []string{"position"}},
		{"approval_steps", step, func() { step.DocID, step.RuleID = req.ID, &rule.ID }, "status", models.StepApproved, []string{"status", "updated_at"}},
		{"approval_delegations", delegation, func() { delegation.DelegateID = other.ID }, "ends_on", today.AddDate(0, 0, 14), []string{"ends_on", "updated_at"}},
		{"purchase_orders", po, func() { po.RequisitionID, po.VendorID = req.ID, vendor.ID }, "status", models.POPartiallyReceived, []string{"status", "updated_at"}},
		{"purchase_order_lines", poLine, func() { poLine.PurchaseOrderID = po.ID }, "received_milli", 500, []string{"received_milli", "updated_at"}},
		{"receipts", receipt, func() { receipt.PurchaseOrderID = po.ID }, "note", "Half the licences", []string{"note"}},
		{"receipt_lines", receiptLine, func() { receiptLine.ReceiptID, receiptLine.PurchaseOrderLineID = receipt.ID, poLine.ID }, "quantity_milli", 400, []string{"quantity_milli"}},
		{"comments", comment, func() { comment.DocID = req.ID }, "body", "Very urgent", []string{"body"}},
		{"attachments", attachment, func() { attachment.DocID = req.ID }, "filename", "quote-v2.pdf", []string{"filename"}},
	}
	ids := map[string]string{}
	for _, tc := range cases {
		if tc.link != nil {
			tc.link()
		}
		mark := lastID(t, db)
		if err := db.Create(tc.row).Error; err != nil {
			t.Fatalf("%s create: %v", tc.table, err)
		}
		id := strconv.FormatInt(reflect.ValueOf(tc.row).Elem().FieldByName("ID").Int(), 10)
		ids[tc.table] = id
		rec := expectOne(t, db, mark, tc.table+" create")
		if rec.Action != "create" || rec.TableName != tc.table || rec.RecordID != id || rec.Old != nil {
			t.Errorf("%s create recorded %s %s %q old %v", tc.table, rec.Action, rec.TableName, rec.RecordID, rec.Old)
		}
		checkActor(t, rec)

		mark = lastID(t, db)
		if err := db.Model(tc.row).Update(tc.column, tc.value).Error; err != nil {
			t.Fatalf("%s update: %v", tc.table, err)
		}
		rec = expectOne(t, db, mark, tc.table+" update")
		checkChange(t, rec, "update", tc.table, id, tc.changed...)
	}
	for i := len(cases) - 1; i >= 0; i-- {
		tc := cases[i]
		mark := lastID(t, db)
		if err := db.Delete(tc.row).Error; err != nil {
			t.Fatalf("%s delete: %v", tc.table, err)
		}
		rec := expectOne(t, db, mark, tc.table+" delete")
		if rec.Action != "delete" || rec.TableName != tc.table || rec.RecordID != ids[tc.table] || rec.New != nil || rec.Old == nil {
			t.Errorf("%s delete recorded %s %s %q old %v new %v", tc.table, rec.Action, rec.TableName, rec.RecordID, rec.Old, rec.New)
		}
	}

	// The one-row organisation settings: updated in place like sso_settings.
	mark := lastID(t, db)
	if err := db.Model(&models.OrgSettings{ID: 1}).Update("default_currency", "EUR").Error; err != nil {
		t.Fatal(err)
	}
	rec := expectOne(t, db, mark, "org_settings update")
	checkChange(t, rec, "update", "org_settings", "1", "default_currency", "updated_at")
	if value(t, rec, true, "default_currency") != "USD" || value(t, rec, false, "default_currency") != "EUR" {
		t.Errorf("org_settings update recorded old %v new %v", rec.Old, rec.New)
	}
	mark = lastID(t, db)
	if err := db.Delete(&models.OrgSettings{ID: 1}).Error; err != nil {
		t.Fatal(err)
	}
	expectOne(t, db, mark, "org_settings delete")
	mark = lastID(t, db)
	if err := db.Create(&models.OrgSettings{ID: 1, DefaultCurrency: "GBP"}).Error; err != nil {
		t.Fatal(err)
	}
	if rec := expectOne(t, db, mark, "org_settings create"); rec.Action != "create" || rec.RecordID != "1" {
		t.Errorf("org_settings create recorded %s %q", rec.Action, rec.RecordID)
	}
}

package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"outlay"
	"outlay/models"
	"outlay/policy"
	"outlay/views"
	"outlay/views/payables"
	"outlay/views/refdata"
)

var (
	vendorBankRead   = policy.Permission{Object: outlay.ObjVendorBank, Action: outlay.ActRead}
	vendorBankUpdate = policy.Permission{Object: outlay.ObjVendorBank, Action: outlay.ActUpdate}
)

// vendorExtra is what a vendor's page shows under its details: what it is owed (its aging,
// open bills and payments) to those who see every bill, and its bank details, masked, to
// those who may see them.
func vendorExtra(s *Server, c *fiber.Ctx, rec *refRecord) (templ.Component, error) {
	var parts []templ.Component
	if s.can(c, billsAll) {
		ap, err := vendorAPCard(c, s.viewer(c), rec.ID)
		if err != nil {
			return nil, err
		}
		parts = append(parts, ap)
	}
	if s.can(c, vendorBankRead) {
		b := payables.VendorBank{VendorID: rec.ID, CanUpdate: s.can(c, vendorBankUpdate), CSRF: s.csrfToken(c)}
		a, err := models.GetVendorBankAccount(c.UserContext(), tenantDB(c), rec.ID)
		switch {
		case errors.Is(err, outlay.ErrNotFound):
		case err != nil:
			return nil, err
		default:
			b.Has, b.Scheme, b.Holder, b.Account, b.BIC, b.Routing, b.Type = true, a.SchemeLabel(), a.HolderName, a.AccountMasked,
				a.BIC, a.RoutingNumber, a.AccountType
		}
		parts = append(parts, payables.BankCard(b))
	}
	return templ.Join(parts...), nil
}

// vendorBankFields are the bank details form's inputs. The account number and IBAN are never
// filled back in: what is kept is shown masked, and a change types them again.
func vendorBankFields(vals map[string]string) []refdata.Field {
	fields := []refdata.Field{
		{Name: "scheme", Label: "Paid by", Type: "select", Required: true, Options: []refdata.Option{
			{Value: models.BankIBAN, Label: "IBAN (SEPA transfer, pain.001)"}, {Value: models.BankUSACH, Label: "US bank account (ACH, NACHA)"}}},
		{Name: "holder_name", Label: "Account holder", Type: "text", Max: 140, Required: true, Hint: "As the bank knows the account."},
		{Name: "iban", Label: "IBAN", Type: "text", Max: 42, Hint: "For IBAN: spaces are fine."},
		{Name: "bic", Label: "BIC (optional)", Type: "text", Max: 11, Hint: "For IBAN: 8 or 11 characters."},
		{Name: "routing_number", Label: "Routing number", Type: "text", Max: 9, InputMode: "numeric", Hint: "For a US account: the nine-digit ABA number."},
		{Name: "account_number", Label: "Account number", Type: "text", Max: 17, InputMode: "numeric", Hint: "For a US account."},
		{Name: "account_type", Label: "Account type", Type: "select", Options: []refdata.Option{
			{Value: models.AccountChecking, Label: "Checking"}, {Value: models.AccountSavings, Label: "Savings"}}, Hint: "For a US account."},
	}
	for i := range fields {
		fields[i].Value = vals[fields[i].Name]
	}
	return fields
}

func (s *Server) vendorBankPage(c *fiber.Ctx) error {
	rec, err := refFromPath(c, vendorsRef)
	if err != nil {
		return err
	}
	vals := map[string]string{"scheme": models.BankIBAN, "holder_name": rec.Name}
	ver := views.RecordVersion{Version: models.NoVersion}
	if a, err := models.GetVendorBankAccount(c.UserContext(), tenantDB(c), rec.ID); err == nil {
		vals = map[string]string{"scheme": a.Scheme, "holder_name": a.HolderName, "bic": a.BIC,
			"routing_number": a.RoutingNumber, "account_type": a.AccountType}
		ver.Version = models.VersionAt(a.UpdatedAt)
	} else if !errors.Is(err, outlay.ErrNotFound) {
		return err
	}
	return s.renderVendorBank(c, http.StatusOK, rec, vals, ver, nil)
}

// renderVendorBank shows the bank details form of the vendor rec holding vals, at version ver
// of its details.
func (s *Server) renderVendorBank(c *fiber.Ctx, status int, rec *refRecord, vals map[string]string, ver views.RecordVersion, errs views.FieldErrors) error {
	item := refdata.ItemPath(vendorsRef.path, rec.ID)
	f := refdata.Form{ID: rec.ID, Action: payables.BankPath(rec.ID), CSRF: s.csrfToken(c), Fields: vendorBankFields(vals),
		Errors: errs, Submit: "Save bank details", Cancel: item, RecordVersion: ver}
	if f.Errors == nil {
		f.Errors = views.FieldErrors{}
	}
	title := "Bank details of " + rec.Name
	p := page{Title: title, Nav: vendorsRef.path, Content: refdata.CreatePage(refdata.NewPage{Title: title,
		Intro: "Where payments to this vendor go. The account number is stored encrypted and shown masked from now on; a change is recorded in the vendor's History without it, " +
			"and the organisation's admins are told of it. Payment runs already submitted keep paying the account they were submitted with.",
		ListPath: item, ListLabel: "Back to " + rec.Name, Form: f}),
		Partials: partials{refdata.FormID: refdata.RecordForm(f)}}
	return s.render(c, status, p)
}

func (s *Server) saveVendorBank(c *fiber.Ctx) error {
	rec, err := refFromPath(c, vendorsRef)
	if err != nil {
		return err
	}
	var post namedFields
	var read models.FormVersion
	bindForm(c, &post)
	bindForm(c, &read)
	vals := map[string]string{}
	for _, f := range vendorBankFields(nil) {
		vals[f.Name] = post.Values[f.Name]
	}
	err = models.SaveVendorBankAccount(c.UserContext(), tenantDB(c), s.bankBox, rec.ID, models.VendorBankInput{FormVersion: read,
		Scheme: vals["scheme"], HolderName: vals["holder_name"], IBAN: vals["iban"], BIC: vals["bic"],
		RoutingNumber: vals["routing_number"], AccountNumber: vals["account_number"], AccountType: vals["account_type"]})
	if errs, ok := outlay.AsValidation(err); ok {
		// The account's number is never echoed back (a vendor's bank details are what a
		// fraud changes); the field that held one says to type it again.
		for field, noun := range map[string]string{"iban": "IBAN", "account_number": "account number"} {
			if strings.TrimSpace(vals[field]) != "" && !errs.Has(field) {
				errs[field] = "For safety the " + noun + " is not shown again: enter it once more."
			}
			vals[field] = ""
		}
		return s.renderVendorBank(c, http.StatusUnprocessableEntity, rec, vals, shownVersion(read.Version, err, refdata.ItemPath(vendorsRef.path, rec.ID)), errs)
	} else if err != nil {
		return err
	}
	s.setFlash(c, "success", "Saved the bank details of "+rec.Name+".")
	return redirect(c, refdata.ItemPath(vendorsRef.path, rec.ID))
}

func (s *Server) removeVendorBank(c *fiber.Ctx) error {
	rec, err := refFromPath(c, vendorsRef)
	if err != nil {
		return err
	}
	if err := models.RemoveVendorBankAccount(c.UserContext(), tenantDB(c), rec.ID); err != nil && !errors.Is(err, outlay.ErrNotFound) {
		return err
	}
	s.setFlash(c, "success", "Removed the bank details of "+rec.Name+".")
	return redirect(c, refdata.ItemPath(vendorsRef.path, rec.ID))
}

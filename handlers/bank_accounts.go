package handlers

import (
	"errors"
	"net/http"

	"github.com/gofiber/fiber/v2"

	"outlay"
	"outlay/models"
	"outlay/views"
	"outlay/views/expenses"
	"outlay/views/refdata"
)

// bankAccountPage shows the person's own bank account, masked, and the forms that change and
// remove it.
func (s *Server) bankAccountPage(c *fiber.Ctx) error {
	return s.renderBankAccount(c, http.StatusOK, models.BankDetailsInput{}, nil, nil)
}

// renderBankAccount shows the page with the change form as typed (in) and its refusal (errs),
// and the refusal of a removal (removeErrs) beside the removal's own field.
func (s *Server) renderBankAccount(c *fiber.Ctx, status int, in models.BankDetailsInput, errs, removeErrs views.FieldErrors) error {
	a := expenses.BankAccount{CSRF: s.csrfToken(c), Holder: in.Holder, IBAN: in.IBAN, BIC: in.BIC, Errors: errs, RemoveErrors: removeErrs, ReadOnly: readOnly(c)}
	if a.Errors == nil {
		a.Errors = views.FieldErrors{}
	}
	if a.RemoveErrors == nil {
		a.RemoveErrors = views.FieldErrors{}
	}
	means, err := s.confirmationMeans(c)
	if err != nil {
		return err
	}
	a.PasswordSet, a.CodeSet = means.password, means.code
	cur, err := models.GetBankAccount(c.UserContext(), tenantDB(c), s.personalBank, currentUser(c).UserID)
	switch {
	case errors.Is(err, models.ErrNoSecretKey) || (err == nil && s.personalBank == nil):
		a.Unavailable = models.ErrNoSecretKey.Error()
	case err != nil:
		return err
	case cur != nil:
		a.Masked, a.StoredH, a.StoredB = cur.IBAN.Masked(), cur.Holder, cur.BIC
		if a.Holder == "" && len(errs) == 0 {
			a.Holder = cur.Holder
		}
	default:
		if a.Holder == "" && len(errs) == 0 {
			a.Holder = currentUser(c).Name
		}
	}
	return s.render(c, status, page{Title: "Bank account", Nav: expenses.BankAccountPath, Content: expenses.BankAccountPage(a)})
}

// updateBankAccount keeps the account typed once the person has proved who they are again,
// with their password or a current code: a session left open, or stolen, must not be enough
// to send their reimbursements elsewhere. A mistake, or a missing or wrong confirmation, is
// shown beside its field with everything typed kept but the confirmation, and nothing is
// stored. The form is checked first, so that a typo does not spend a recovery code.
func (s *Server) updateBankAccount(c *fiber.Ctx) error {
	var in models.BankDetailsInput
	bindForm(c, &in)
	if verr, ok := outlay.AsValidation(in.Validate()); ok {
		return s.renderBankAccount(c, http.StatusUnprocessableEntity, in, verr, nil)
	}
	errs := views.FieldErrors{}
	if status, err := s.confirmPasswordOrCode(c, "confirm", "changing your bank account", errs); status != 0 || err != nil {
		if err != nil {
			return err
		}
		return s.renderBankAccount(c, status, in, errs, nil)
	}
	d, err := models.SetBankAccount(c.UserContext(), tenantDB(c), s.personalBank, currentUser(c).UserID, in)
	if verr, ok := outlay.AsValidation(err); ok {
		return s.renderBankAccount(c, http.StatusUnprocessableEntity, in, verr, nil)
	}
	if err != nil {
		return err
	}
	s.setFlash(c, "success", "Saved your bank account "+d.IBAN.Masked()+".")
	return redirect(c, expenses.BankAccountPath)
}

// removeBankAccount forgets the person's bank account once they have proved who they are
// again, as changing it asks, and mails them that it was removed: a session left open, or
// stolen, must not be enough to stop their reimbursements being paid to them. A missing or
// wrong confirmation is shown beside the removal's own field and nothing is removed. An
// account already removed (in another tab) is said so, not asked for again.
func (s *Server) removeBankAccount(c *fiber.Ctx) error {
	ctx, db, me := c.UserContext(), tenantDB(c), currentUser(c)
	if cur, err := models.GetBankAccount(ctx, db, s.personalBank, me.UserID); err != nil || cur == nil {
		if err != nil {
			return err
		}
		s.setFlash(c, "info", models.ErrNoBankAccount.Error())
		return redirect(c, expenses.BankAccountPath)
	}
	errs := views.FieldErrors{}
	if status, err := s.confirmPasswordOrCode(c, expenses.RemoveConfirmField, "removing your bank account", errs); status != 0 || err != nil {
		if err != nil {
			return err
		}
		return s.renderBankAccount(c, status, models.BankDetailsInput{}, nil, errs)
	}
	if err := models.RemoveBankAccount(ctx, db, s.personalBank, me.UserID); err != nil {
		return err
	}
	s.setFlash(c, "success", "Your bank account is removed.")
	return redirect(c, expenses.BankAccountPath)
}

// orgBankAccountTitle names the organisation's bank account page, in the menu and as the
// page's title: apart from each person's own "Bank account" page.
const orgBankAccountTitle = "Organisation bank account"

// orgBankAccountPage shows the account the organisation pays reimbursements from (the
// debtor of its SEPA files), masked, with the form that sets it.
func (s *Server) orgBankAccountPage(c *fiber.Ctx) error {
	return s.renderOrgBankAccount(c, http.StatusOK, nil, nil)
}

func (s *Server) renderOrgBankAccount(c *fiber.Ctx, status int, in *models.BankDetailsInput, errs views.FieldErrors) error {
	cur, err := models.GetOrgBankAccount(c.UserContext(), tenantDB(c), s.personalBank)
	if err != nil && !errors.Is(err, models.ErrNoSecretKey) {
		return err
	}
	facts := []refdata.Fact{{Label: "Account holder"}, {Label: "IBAN"}, {Label: "BIC"}}
	if in == nil {
		in = &models.BankDetailsInput{}
		if cur != nil {
			in.Holder, in.BIC = cur.Holder, cur.BIC
		}
	}
	if cur != nil {
		facts[0].Value, facts[1].Value, facts[2].Value = cur.Holder, cur.IBAN.Masked(), cur.BIC
	}
	csrf := s.csrfToken(c)
	f := refdata.Form{Action: expenses.OrgBankAccountPath, CSRF: csrf, Submit: "Save", Errors: views.FieldErrors{}, Fields: []refdata.Field{
		{Name: "holder", Label: "Account holder", Type: "text", Value: in.Holder, Max: 140, Required: true,
			Hint: "The organisation's name as its bank knows it: the payer named in payment files."},
		{Name: "iban", Label: "IBAN", Type: "text", Value: in.IBAN, Max: 50, Required: true,
			Hint: "Typed again to change it; it is stored encrypted and shown only masked."},
		{Name: "bic", Label: "BIC", Type: "text", Value: in.BIC, Max: 20, Hint: "Optional: 8 or 11 characters."}}}
	if errs != nil {
		f.Errors = errs
	}
	if errors.Is(err, models.ErrNoSecretKey) || s.personalBank == nil {
		f.Errors["iban"] = models.ErrNoSecretKey.Error()
	}
	d := refdata.Detail{Title: orgBankAccountTitle, Subtitle: "The account expense reimbursements are paid from.", ListPath: settingsPath,
		ListLabel: "Settings", HistoryPath: settingsPath + "/history", CSRF: csrf, CanUpdate: s.can(c, settingsUpdate),
		FormTitle: "Change the bank account", Form: f, Facts: facts}
	return s.render(c, status, page{Title: d.Title, Nav: settingsPath, Content: refdata.DetailPage(d)})
}

func (s *Server) updateOrgBankAccount(c *fiber.Ctx) error {
	var in models.BankDetailsInput
	bindForm(c, &in)
	d, err := models.SetOrgBankAccount(c.UserContext(), tenantDB(c), s.personalBank, in)
	if verr, ok := outlay.AsValidation(err); ok {
		return s.renderOrgBankAccount(c, http.StatusUnprocessableEntity, &in, verr)
	}
	if err != nil {
		return err
	}
	s.setFlash(c, "success", "Saved the organisation's bank account "+d.IBAN.Masked()+".")
	return redirect(c, expenses.OrgBankAccountPath)
}

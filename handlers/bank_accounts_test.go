package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"outlay/internal/testutil"
	"outlay/models"
)

// bankForm is the person's bank account form as typed, with confirm in the confirmation
// field.
func bankForm(holder, iban, confirm string) url.Values {
	return url.Values{"holder": {holder}, "iban": {iban}, "bic": {""}, "confirm": {confirm}}
}

// storedBankAccounts counts the bank accounts people keep.
func storedBankAccounts(t *testing.T, s *expenseSite) int64 {
	t.Helper()
	var n int64
	if err := s.db.Model(&models.BankAccount{}).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// Changing your own bank account asks for your password again, as a person without
// two-factor sign-in: a session left open, or stolen, is not enough to send your
// reimbursements elsewhere. A missing or wrong password is refused beside its field, with
// the account typed kept (but never the password) and nothing stored; a mistake in the
// account is named before the password is checked. Once saved, you are mailed, at your
// address on file, the account before and after, both masked, and told what to do if it
// wasn't you.
func TestChangingYourBankAccountAsksForYourPassword(t *testing.T) {
	t.Parallel()
	s := newExpenseSite(t)
	rita := s.client(t, s.rita)

	form := rita.Get("/settings/bank-account").Doc.Find(`form[action="/settings/bank-account"]`)
	if form.Find(`input#confirm[name="confirm"][type="password"]`).Length() != 1 || strings.TrimSpace(form.Find(`label[for="confirm"]`).Text()) != "Your password, to save the account" {
		t.Fatalf("the bank account form asks for no password: %q", form.Text())
	}
	const iban = "DE89 3704 0044 0532 0130 00"
	for _, tc := range []struct{ name, confirm, want string }{
		{"nothing", "", "Enter your password."},
		{"a wrong password", "not my password", "That is not your password. Try again."},
	} {
		res := rita.Post("/settings/bank-account", bankForm("Rita Requester", iban, tc.confirm))
		if res.Status != http.StatusUnprocessableEntity || res.Text("#confirm-error") != tc.want {
			t.Errorf("%s: %d %q", tc.name, res.Status, res.Text("#confirm-error"))
		}
		holder, _ := res.Doc.Find("input#holder").Attr("value")
		typed, _ := res.Doc.Find("input#iban").Attr("value")
		confirm, hasValue := res.Doc.Find("input#confirm").Attr("value")
		if holder != "Rita Requester" || typed != iban || hasValue || confirm != "" {
			t.Errorf("%s: kept holder %q, IBAN %q, confirmation %q (%v)", tc.name, holder, typed, confirm, hasValue)
		}
	}
	res := rita.Post("/settings/bank-account", bankForm("Rita Requester", "DE89 3704 0044 0532 0130 01", "not my password"))
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Text("#iban-error"), "check digits") || res.Text("#confirm-error") != "" {
		t.Errorf("a wrong IBAN: %d %q %q", res.Status, res.Text("#iban-error"), res.Text("#confirm-error"))
	}
	if n := storedBankAccounts(t, s); n != 0 {
		t.Fatalf("%d bank accounts stored without the password", n)
	}

	before := len(s.app.Mail.Sent())
	if msg := flashAfter(t, rita, rita.Post("/settings/bank-account", bankForm("Rita Requester", iban, testutil.Password))); !strings.Contains(msg, "DE89 •••• •••• •••• 3000") {
		t.Fatalf("saved: %q", msg)
	}
	sent := s.app.WaitMail(t, before+1)
	added := sent[len(sent)-1]
	if added.To != "rita@acme.example" || !strings.Contains(added.Subject, "bank account") ||
		!strings.Contains(added.Body, "Before: none\nNow: DE89 •••• •••• •••• 3000 in the name of Rita Requester") ||
		!strings.Contains(added.Body, "If this wasn't you, tell your admin") || strings.Contains(added.Body, "0532") {
		t.Errorf("mail of the new account to %s: %s\n%s", added.To, added.Subject, added.Body)
	}

	flashAfter(t, rita, rita.Post("/settings/bank-account", bankForm("Rita R.", "FR14 2004 1010 0505 0001 3M02 606", testutil.Password)))
	sent = s.app.WaitMail(t, before+2)
	changed := sent[len(sent)-1]
	if changed.To != "rita@acme.example" || !strings.Contains(changed.Body,
		"Before: DE89 •••• •••• •••• 3000 in the name of Rita Requester\nNow: FR14 •••• •••• •••• •••• 2606 in the name of Rita R.") {
		t.Errorf("mail of the changed account: %s", changed.Body)
	}
	if n := storedBankAccounts(t, s); n != 1 {
		t.Errorf("%d bank accounts stored", n)
	}
}

// With two-factor sign-in on, a current code from the app (or a recovery code) proves who
// you are as well as the password does; a wrong one is refused and recorded as a failed code.
func TestChangingYourBankAccountTakesACode(t *testing.T) {
	t.Parallel()
	s := newExpenseSite(t)
	rita := s.client(t, s.rita)
	_, codes := enrolThroughPage(t, rita)

	page := rita.Get("/settings/bank-account")
	if got := strings.TrimSpace(page.Text(`label[for="confirm"]`)); got != "Your password, or a code from your app, to save the account" {
		t.Errorf("label %q", got)
	}
	res := rita.Post("/settings/bank-account", bankForm("Rita Requester", "DE89 3704 0044 0532 0130 00", "123456"))
	if res.Status != http.StatusUnprocessableEntity || res.Text("#confirm-error") != "That is neither your password nor a current code. Try again." {
		t.Errorf("a wrong code: %d %q", res.Status, res.Text("#confirm-error"))
	}
	if n := countEvents(t, s.db, models.EventTwoFactorCodeFailed); n != 1 {
		t.Errorf("%d failed codes recorded", n)
	}
	if msg := flashAfter(t, rita, rita.Post("/settings/bank-account", bankForm("Rita Requester", "DE89 3704 0044 0532 0130 00", codes[0]))); !strings.Contains(msg, "DE89") {
		t.Errorf("saved with a recovery code: %q", msg)
	}
	if n := storedBankAccounts(t, s); n != 1 {
		t.Errorf("%d bank accounts stored", n)
	}
}

// bankMails counts the bank account notices queued in the outbox for Rita.
func bankMails(t *testing.T, s *expenseSite) int64 {
	t.Helper()
	var n int64
	if err := s.db.Raw(`SELECT count(*) FROM mail_outbox WHERE kind = ? AND recipient = 'rita@acme.example'`, models.MailBankAccountChanged).
		Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// Removing your own bank account asks for your password again, as changing it does: a
// session left open, or stolen, is not enough to stop your reimbursements being paid to you.
// The password is the one confirmation, as when turning off two-factor sign-in: no browser
// dialog asks again.
// A missing or wrong password is refused beside the removal's own field (not the change
// form's), and nothing is removed or mailed. Once removed, the removal is in the audit log
// and you are mailed, at your address on file, the account that was removed, masked, and told
// what to do if it wasn't you. Removing it again says there is nothing to remove.
func TestRemovingYourBankAccountAsksForYourPassword(t *testing.T) {
	t.Parallel()
	s := newExpenseSite(t)
	rita := s.client(t, s.rita)
	flashAfter(t, rita, rita.Post("/settings/bank-account", bankForm("Rita Requester", "DE89 3704 0044 0532 0130 00", testutil.Password)))
	before := len(s.app.WaitMail(t, 1))
	queued := bankMails(t, s)

	form := rita.Get("/settings/bank-account").Doc.Find(`form[action="/settings/bank-account/remove"]`)
	if form.Find(`input#remove-confirm[name="confirm"][type="password"]`).Length() != 1 || strings.TrimSpace(form.Find(`label[for="remove-confirm"]`).Text()) != "Your password, to remove the account" {
		t.Fatalf("the removal form asks for no password: %q", form.Text())
	}
	if q, asks := form.Attr("data-confirm"); asks {
		t.Errorf("the removal asks again in a dialog: %q", q)
	}
	for _, tc := range []struct{ name, confirm, want string }{
		{"nothing", "", "Enter your password."},
		{"a wrong password", "not my password", "That is not your password. Try again."},
	} {
		res := rita.Post("/settings/bank-account/remove", url.Values{"confirm": {tc.confirm}})
		if res.Status != http.StatusUnprocessableEntity || res.Text("#remove-confirm-error") != tc.want || res.Text("#confirm-error") != "" {
			t.Errorf("%s: %d %q (change form %q)", tc.name, res.Status, res.Text("#remove-confirm-error"), res.Text("#confirm-error"))
		}
		if got := res.Text(".iban-masked"); got != "DE89 •••• •••• •••• 3000" {
			t.Errorf("%s: the page shows the account as %q", tc.name, got)
		}
		if _, hasValue := res.Doc.Find("input#remove-confirm").Attr("value"); hasValue {
			t.Errorf("%s: the password typed is shown again", tc.name)
		}
	}
	if n := storedBankAccounts(t, s); n != 1 {
		t.Fatalf("%d bank accounts stored after refused removals", n)
	}
	if n := bankMails(t, s); n != queued {
		t.Fatalf("%d bank account mails queued by refused removals", n-queued)
	}

	var mark int64
	s.db.Raw(`SELECT coalesce(max(id), 0) FROM audit_log`).Scan(&mark)
	if msg := flashAfter(t, rita, rita.Post("/settings/bank-account/remove", url.Values{"confirm": {testutil.Password}})); msg != "Your bank account is removed." {
		t.Errorf("removed: %q", msg)
	}
	if n := storedBankAccounts(t, s); n != 0 {
		t.Errorf("%d bank accounts stored after the removal", n)
	}
	var audited []struct{ ActorID int64 }
	s.db.Raw(`SELECT actor_id FROM audit_log WHERE id > ? AND table_name = 'user_bank_accounts' AND action = 'delete' AND record_id = ?`,
		mark, ids(s.rita.ID)).Scan(&audited)
	if len(audited) != 1 || audited[0].ActorID != s.rita.ID {
		t.Errorf("the removal is audited as %+v, want once, by Rita", audited)
	}
	sent := s.app.WaitMail(t, before+1)
	removed := sent[len(sent)-1]
	if len(sent) != before+1 || removed.To != "rita@acme.example" || !strings.Contains(removed.Subject, "bank account") || !strings.Contains(removed.Subject, "was removed") ||
		!strings.Contains(removed.Body, "was removed in Outlay") ||
		!strings.Contains(removed.Body, "Before: DE89 •••• •••• •••• 3000 in the name of Rita Requester\nNow: none") ||
		!strings.Contains(removed.Body, "If this wasn't you, tell your admin") || strings.Contains(removed.Body, "0532") {
		t.Errorf("%d mails; the removal's to %s: %s\n%s", len(sent)-before, removed.To, removed.Subject, removed.Body)
	}

	if msg := flashAfter(t, rita, rita.Post("/settings/bank-account/remove", url.Values{"confirm": {testutil.Password}})); msg != "You keep no bank account here: there is nothing to remove." {
		t.Errorf("removed again: %q", msg)
	}
	if n := bankMails(t, s); n != queued+1 {
		t.Errorf("%d bank account mails queued by the removals, want 1", n-queued)
	}
}

// With two-factor sign-in on, a current code (or a recovery code) confirms a removal as well
// as the password does; a wrong one is refused and nothing is removed.
func TestRemovingYourBankAccountTakesACode(t *testing.T) {
	t.Parallel()
	s := newExpenseSite(t)
	rita := s.client(t, s.rita)
	flashAfter(t, rita, rita.Post("/settings/bank-account", bankForm("Rita Requester", "DE89 3704 0044 0532 0130 00", testutil.Password)))
	_, codes := enrolThroughPage(t, rita)

	if got := strings.TrimSpace(rita.Get("/settings/bank-account").Text(`label[for="remove-confirm"]`)); got != "Your password, or a code from your app, to remove the account" {
		t.Errorf("label %q", got)
	}
	res := rita.Post("/settings/bank-account/remove", url.Values{"confirm": {"123456"}})
	if res.Status != http.StatusUnprocessableEntity || res.Text("#remove-confirm-error") != "That is neither your password nor a current code. Try again." {
		t.Errorf("a wrong code: %d %q", res.Status, res.Text("#remove-confirm-error"))
	}
	if n := storedBankAccounts(t, s); n != 1 {
		t.Fatalf("%d bank accounts stored after a wrong code", n)
	}
	if msg := flashAfter(t, rita, rita.Post("/settings/bank-account/remove", url.Values{"confirm": {codes[0]}})); msg != "Your bank account is removed." {
		t.Errorf("removed with a recovery code: %q", msg)
	}
	if n := storedBankAccounts(t, s); n != 0 {
		t.Errorf("%d bank accounts stored", n)
	}
}

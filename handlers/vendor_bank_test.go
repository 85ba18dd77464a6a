package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"outlay/internal/testutil"
	"outlay/models"
)

// An AP clerk keeps a vendor's bank details from its page: a wrong routing number is refused
// beside its field with nothing kept, the account number is never shown again (masked on the
// page, not filled back into the form), and a requester, who may see the vendor, sees no bank
// details and cannot reach the form.
func TestVendorBankDetailsPage(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "cleo@acme.example", "Cleo Clerk", "ap_clerk")
	env.CreateUser(t, acme, "rita@acme.example", "Rita Requester", "requester")
	env.CreateUser(t, acme, "otto@acme.example", "Otto Auditor", "auditor")
	app := testutil.NewApp(t, env)
	db := app.DB(t, acme)
	vid, err := models.SaveVendor(context.Background(), db, 0, models.VendorInput{Name: "Paper Co", PaymentTerms: "30", Currency: "USD", Status: models.VendorActive})
	if err != nil {
		t.Fatal(err)
	}
	page := fmt.Sprintf("/vendors/%d", vid)
	clerk := app.Client(t, "acme")
	clerk.SignIn("cleo@acme.example", testutil.Password)
	if res := clerk.Get(page); !strings.Contains(res.Text("#vendor-bank"), "No bank details") {
		t.Fatalf("vendor page bank card: %q", res.Text("#vendor-bank"))
	}
	clerk.Get(page + "/bank")
	form := url.Values{"scheme": {models.BankUSACH}, "holder_name": {"Paper Co"}, "routing_number": {"021000022"},
		"account_number": {"000987654321"}, "account_type": {models.AccountChecking}}
	res := htmxPost(clerk, page+"/bank", "ref-form", form)
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Text("#routing_number-error"), "check digit") {
		t.Fatalf("wrong routing number: status %d, message %q", res.Status, res.Text("#routing_number-error"))
	}
	if strings.Contains(res.Body, "000987654321") {
		t.Error("the refused form echoes the account number back")
	}
	if msg := res.Text("#account_number-error"); msg != "For safety the account number is not shown again: enter it once more." {
		t.Errorf("the emptied account number's field says %q", msg)
	}
	if _, err := models.GetVendorBankAccount(context.Background(), db, vid); err == nil {
		t.Fatal("refused bank details were kept")
	}
	form.Set("routing_number", "021000021")
	if res := clerk.Post(page+"/bank", form); res.Status != http.StatusSeeOther || res.Location() != page {
		t.Fatalf("save: status %d location %q %s", res.Status, res.Location(), res.Text(".field-error"))
	}
	res = clerk.Get(page)
	card := res.Text("#vendor-bank")
	if !strings.Contains(card, "•••• 4321") || !strings.Contains(card, "021000021") || strings.Contains(res.Body, "000987654321") {
		t.Errorf("bank card after saving: %q", card)
	}
	if res := clerk.Get(page + "/bank"); strings.Contains(res.Body, "000987654321") || strings.Contains(res.Body, "987654321\"") {
		t.Error("the edit form shows the kept account number")
	}
	if h := clerk.Get(page + "/history").Text("main"); !strings.Contains(h, "Vendor bank accounts") || !strings.Contains(h, "(secret)") ||
		strings.Contains(h, "987654321") {
		t.Errorf("vendor History of the bank details: %s", h)
	}

	aud := app.Client(t, "acme")
	aud.SignIn("otto@acme.example", testutil.Password)
	res = aud.Get(page)
	if card := res.Text("#vendor-bank"); !strings.Contains(card, "•••• 4321") || res.Doc.Find(`#vendor-bank a[href$="/bank"]`).Length() != 0 {
		t.Errorf("auditor's bank card: %q (a change link: %v)", card, res.Doc.Find(`#vendor-bank a[href$="/bank"]`).Length() != 0)
	}
	for _, c := range []*testutil.Client{aud, requester(t, app)} {
		if res := c.Get(page + "/bank"); res.Status != http.StatusSeeOther || res.Location() != "/dashboard" {
			t.Errorf("bank form reached without the permission: %d %q", res.Status, res.Location())
		}
	}
}

func requester(t *testing.T, app *testutil.App) *testutil.Client {
	c := app.Client(t, "acme")
	c.SignIn("rita@acme.example", testutil.Password)
	return c
}

package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"outlay/internal/testutil"
	"outlay/models"
)

// Files are attached while drafting: the new requisition's form saves the draft and opens its
// page at the attachments, where files go through the same size and kind checks as on any
// document. The draft's files are its requester's alone until it is submitted; then its
// approver may open them too, and another requester still may not.
func TestFilesAreAttachedToADraftSeenOnlyByThoseWhoSeeIt(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	db := env.DB(t, acme)
	ctx := context.Background()
	max := env.CreateUser(t, acme, "max@acme.example", "Max Manager", "approver")
	env.CreateUser(t, acme, "rob@acme.example", "Rob Requester", "requester")
	env.CreateUser(t, acme, "ada@acme.example", "Ada Auditor", "auditor")
	rita, err := models.CreateUser(ctx, db, models.NewUser{Email: "rita@acme.example", Name: "Rita Requester",
		Password: testutil.Password, Roles: []string{"requester"}, ManagerID: &max.ID})
	if err != nil {
		t.Fatal(err)
	}
	dept := models.Department{Name: "Engineering"}
	vendor := models.Vendor{Name: "Desk Depot", Currency: "USD", Status: models.VendorActive}
	gl := models.GLAccount{Code: "6100", Name: "Office furniture"}
	for _, v := range []any{&dept, &vendor, &gl} {
		if err := db.Create(v).Error; err != nil {
			t.Fatal(err)
		}
	}
	env.Config.MaxUploadBytes = 4096
	app := testutil.NewApp(t, env)
	signIn := func(email string) *testutil.Client {
		c := app.Client(t, "acme")
		c.SignIn(email, testutil.Password)
		c.Get("/dashboard")
		return c
	}
	rc, rob, ada, mc := signIn(rita.Email), signIn("rob@acme.example"), signIn("ada@acme.example"), signIn(max.Email)

	page := rc.Get("/requisitions/new")
	if got := page.Text(".req-attach .hint"); !strings.Contains(got, "up to 4 KB") || !strings.Contains(got, "only you can see") {
		t.Errorf("the new form's attachments say %q", got)
	}
	form := url.Values{"department": {ids(dept.ID)}, "vendor": {ids(vendor.ID)}, "needed_by": {time.Now().AddDate(0, 0, 7).Format("2006-01-02")},
		"justification": {"Quote attached"}, "intent": {"attach"}, "form_key": {"attach-form"},
		"description": {"Standing desk"}, "quantity": {"2"}, "unit_price": {"250"}, "tax_rate": {""}, "gl_account": {ids(gl.ID)}}
	res := rc.Post("/requisitions", form)
	var r models.Requisition
	if err := db.First(&r).Error; err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("/requisitions/%d#attachments", r.ID); res.Status != http.StatusSeeOther || res.Location() != want {
		t.Fatalf("save and attach: %d %q, want %q", res.Status, res.Location(), want)
	}
	if r.Status != models.RequisitionDraft || r.TotalMinor != 50000 {
		t.Errorf("stored %s %d", r.Status, r.TotalMinor)
	}
	draftPath := fmt.Sprintf("/requisitions/%d", r.ID)
	draft := rc.Get(draftPath)
	if got := draft.Text(".flash"); got != "Draft saved. Attach its files below." {
		t.Errorf("flash %q", got)
	}
	base := draftPath + "/attachments"
	if draft.Doc.Find(fmt.Sprintf(`#attachments form.upload-form[action=%q] input[type=file]`, base)).Length() != 1 {
		t.Fatal("the draft's page has no upload form")
	}

	rc.Header.Set("HX-Request", "true")
	if res := rc.Upload(base, "file", "big.txt", "text/plain", []byte(strings.Repeat("a", 4097))); res.Status != http.StatusUnprocessableEntity ||
		res.Text("#file-error") != "This file is larger than 4 KB, the most an attachment may be." {
		t.Errorf("too big: %d %q", res.Status, res.Text("#file-error"))
	}
	if res := rc.Upload(base, "file", "quote.pdf", "application/pdf", []byte("<html><script>alert(1)</script></html>")); res.Status != http.StatusUnprocessableEntity ||
		!strings.HasPrefix(res.Text("#file-error"), "Files of this kind cannot be attached.") {
		t.Errorf("html as pdf: %d %q", res.Status, res.Text("#file-error"))
	}
	res = rc.Upload(base, "file", "quote.txt", "text/plain", []byte("Desk Depot quote: 2 standing desks, $500."))
	rc.Header.Del("HX-Request")
	if res.Status != http.StatusOK || res.Text(".attachment a") != "quote.txt" {
		t.Fatalf("upload: %d %q %q", res.Status, res.Text(".attachment a"), res.Text("#file-error"))
	}
	href, _ := res.Doc.Find(".attachment a").Attr("href")
	if got := rc.Get(href); got.Status != http.StatusOK || !strings.Contains(got.Body, "standing desks") {
		t.Errorf("Rita downloads her draft's file: %d", got.Status)
	}
	// A draft is its requester's alone: no one else opens it, its files, or adds to them.
	for name, c := range map[string]*testutil.Client{"Rob": rob, "Ada (auditor)": ada, "Max (her manager)": mc} {
		for _, path := range []string{draftPath, href} {
			if res := c.Get(path); res.Status != http.StatusNotFound {
				t.Errorf("%s GET %s of a draft: %d", name, path, res.Status)
			}
		}
	}
	if res := rob.Upload(base, "file", "x.txt", "text/plain", []byte("x")); res.Status != http.StatusNotFound {
		t.Errorf("Rob uploads to Rita's draft: %d", res.Status)
	}

	// Submitted, it goes to Max, who may open the file; Rob still may not.
	if _, err := models.SubmitRequisition(ctx, db, rita.ID, r.ID); err != nil {
		t.Fatal(err)
	}
	if res := mc.Get(href); res.Status != http.StatusOK {
		t.Errorf("the approver downloads the file: %d", res.Status)
	}
	if res := rob.Get(href); res.Status != http.StatusNotFound {
		t.Errorf("Rob downloads the submitted requisition's file: %d", res.Status)
	}
	var n int64
	db.Model(&models.Attachment{}).Count(&n)
	if n != 1 {
		t.Errorf("%d attachments stored", n)
	}
}

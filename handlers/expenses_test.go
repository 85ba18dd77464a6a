package handlers_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"outlay/internal/testutil"
	"outlay/models"
)

// expenseSite: Rita (requester, reporting to Max) claims expenses, Max approves, Rob is
// another requester, Ada audits (everyone's expenses), Al approves nothing of Rita's.
type expenseSite struct {
	db                      *gorm.DB
	app                     *testutil.App
	rita, max, rob, ada, al *models.User
	eng                     models.Department
	meals                   models.ExpenseCategory
}

func newExpenseSite(t *testing.T) *expenseSite {
	t.Helper()
	env, acme := testutil.NewTenant(t)
	s := &expenseSite{db: env.DB(t, acme)}
	s.max = env.CreateUser(t, acme, "max@acme.example", "Max Manager", "approver")
	s.rob = env.CreateUser(t, acme, "rob@acme.example", "Rob Requester", "requester")
	s.ada = env.CreateUser(t, acme, "ada@acme.example", "Ada Auditor", "auditor")
	s.al = env.CreateUser(t, acme, "al@acme.example", "Al Approver", "approver")
	var err error
	s.rita, err = models.CreateUser(context.Background(), s.db, models.NewUser{Email: "rita@acme.example", Name: "Rita Requester",
		Password: testutil.Password, Roles: []string{"requester"}, ManagerID: &s.max.ID})
	if err != nil {
		t.Fatal(err)
	}
	s.eng = models.Department{Name: "Engineering"}
	gl := models.GLAccount{Code: "7000", Name: "Travel"}
	for _, v := range []any{&s.eng, &gl} {
		if err := s.db.Create(v).Error; err != nil {
			t.Fatal(err)
		}
	}
	limit, per := int64(5000), models.LimitPerDay
	s.meals = models.ExpenseCategory{Name: "Meals", GLAccountID: gl.ID, LimitMinor: &limit, LimitPer: &per, Currency: "USD"}
	if err := s.db.Create(&s.meals).Error; err != nil {
		t.Fatal(err)
	}
	s.app = testutil.NewApp(t, env)
	return s
}

func (s *expenseSite) client(t *testing.T, u *models.User) *testutil.Client {
	c := s.app.Client(t, "acme")
	c.SignIn(u.Email, testutil.Password)
	c.Get("/dashboard")
	return c
}

// newReport posts a new report of one meal line of amount as c (who opens the new-report
// page first), saved or submitted per intent, and gives it as stored.
func (s *expenseSite) newReport(t *testing.T, c *testutil.Client, intent, amount string) models.ExpenseReport {
	t.Helper()
	c.Get("/expenses/new")
	if res := c.Post("/expenses", s.expenseForm(intent, [4]string{day(1), ids(s.meals.ID), "Cafe", amount})); res.Status != http.StatusSeeOther {
		t.Fatalf("%s: %d %s", intent, res.Status, res.Text(".field-error, [data-form-error]"))
	}
	var r models.ExpenseReport
	s.db.Order("id DESC").First(&r)
	return r
}

func day(daysAgo int) string { return time.Now().UTC().AddDate(0, 0, -daysAgo).Format("2006-01-02") }

// expenseForm is a report form with expense lines, each {date, category, merchant, amount}.
func (s *expenseSite) expenseForm(intent string, lines ...[4]string) url.Values {
	f := url.Values{"title": {"Client visit"}, "purpose": {"Meeting Initech"}, "department": {ids(s.eng.ID)},
		"period_from": {day(20)}, "period_to": {day(0)}, "currency": {"USD"}, "intent": {intent}}
	for _, l := range lines {
		for k, v := range map[string]string{"kind": "expense", "date": l[0], "category": l[1], "merchant": l[2], "amount": l[3],
			"tax": "", "currency": "", "rate": "", "note": "", "justification": "", "receipt": "", "from": "", "to": "",
			"distance": "", "unit": "", "days": "", "destination": ""} {
			f.Add(k, v)
		}
	}
	return f
}

func pngBytes(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for x := 0; x < 8; x++ {
		img.Set(x, x, color.RGBA{200, 0, 0, 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func (s *expenseSite) count(t *testing.T) int64 {
	var n int64
	if err := s.db.Model(&models.ExpenseReport{}).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// A negative amount, a date far in the future and an unknown category are each named
// beside their field, with what was typed kept, and nothing is saved.
func TestExpenseFormRefusesBesideTheField(t *testing.T) {
	t.Parallel()
	s := newExpenseSite(t)
	c := s.client(t, s.rita)
	c.Get("/expenses/new")
	res := c.Post("/expenses", s.expenseForm("save", [4]string{day(1), ids(s.meals.ID), "Cafe", "-4.00"},
		[4]string{"2099-01-01", ids(s.meals.ID), "Cafe", "4.00"}, [4]string{day(1), "424242", "Cafe", "4.00"}))
	if res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", res.Status)
	}
	for id, want := range map[string]string{
		"expense-0-amount-error":   "An amount cannot be negative.",
		"expense-1-date-error":     "The date is after today; enter the day the money was spent.",
		"expense-2-category-error": "Choose a category from the list.",
	} {
		if got := res.Text("#" + id); got != want {
			t.Errorf("%s: %q, want %q", id, got, want)
		}
	}
	if v := res.Doc.Find(`#expense-0-amount`).AttrOr("value", ""); v != "-4.00" {
		t.Errorf("typed amount not kept: %q", v)
	}
	if n := s.count(t); n != 0 {
		t.Errorf("%d reports saved", n)
	}
	// Adding a line keeps what was typed and saves nothing.
	res = c.Post("/expenses", s.expenseForm("add-mileage", [4]string{day(1), ids(s.meals.ID), "Cafe", "4.00"}))
	if res.Status != 200 || res.Doc.Find(`#expense-1-distance`).Length() != 1 || res.Doc.Find(`#expense-0-merchant`).AttrOr("value", "") != "Cafe" {
		t.Errorf("add mileage: %d", res.Status)
	}
	// The form answered shows the total and line 1's amount of what was typed, not $0.00.
	if total, line := res.Text(".exp-total"), res.Text("#expense-0-priced"); total != "$4.00" || line != "$4.00" {
		t.Errorf("after adding a line: total %q, line 1 %q, want $4.00", total, line)
	}
	if n := s.count(t); n != 0 {
		t.Errorf("adding a line saved %d reports", n)
	}
}

// A receipt is attached from its line: a photo is taken; a file that is not a photo or PDF,
// or one too large, is refused beside the line's receipt and nothing changes.
func TestExpenseReceiptUploadPerLine(t *testing.T) {
	t.Parallel()
	s := newExpenseSite(t)
	c := s.client(t, s.rita)
	c.Get("/expenses/new")
	res := c.Post("/expenses", s.expenseForm("save", [4]string{day(1), ids(s.meals.ID), "Cafe", "40.00"}))
	if res.Status != http.StatusSeeOther {
		t.Fatalf("save: %d %s", res.Status, res.Text(".flash-error"))
	}
	var r models.ExpenseReport
	if err := s.db.Order("id DESC").First(&r).Error; err != nil {
		t.Fatal(err)
	}
	var line models.ExpenseLine
	s.db.Where("report_id = ?", r.ID).First(&line)
	page := c.Get(fmt.Sprintf("/expenses/%d", r.ID))
	file := page.Doc.Find(`input[type=file][name=file]`)
	if file.AttrOr("accept", "") != "image/*,application/pdf" || file.AttrOr("capture", "") != "environment" {
		t.Errorf("receipt input: accept %q capture %q", file.AttrOr("accept", ""), file.AttrOr("capture", ""))
	}
	path := fmt.Sprintf("/expenses/%d/lines/%d/receipt", r.ID, line.ID)
	if action := page.Doc.Find(`form#receipt-0`).AttrOr("action", ""); action != path {
		t.Errorf("receipt form posts to %q", action)
	}
	res = c.Upload(path, "file", "notes.txt", "image/png", []byte("just some words, not a photo\n"))
	if res.Status != http.StatusUnprocessableEntity || res.Text("#expense-0-receipt-error") != "A receipt must be a photo (JPEG, PNG, WebP or GIF) or a PDF." {
		t.Errorf("text file: %d %q", res.Status, res.Text("#expense-0-receipt-error"))
	}
	big := append(pngBytes(t), make([]byte, 10<<20)...)
	res = c.Upload(path, "file", "huge.png", "image/png", big)
	if res.Status != http.StatusUnprocessableEntity || !strings.HasPrefix(res.Text("#expense-0-receipt-error"), "This receipt is larger than") {
		t.Errorf("large file: %d %q", res.Status, res.Text("#expense-0-receipt-error"))
	}
	s.db.First(&line, line.ID)
	if line.ReceiptID != nil {
		t.Fatalf("a refused file became the receipt")
	}
	res = c.Upload(path, "file", "cafe.png", "application/octet-stream", pngBytes(t))
	if res.Status != http.StatusSeeOther {
		t.Fatalf("photo: %d %s", res.Status, res.Text("#expense-0-receipt-error"))
	}
	s.db.First(&line, line.ID)
	if line.ReceiptID == nil {
		t.Fatal("the photo is not the line's receipt")
	}
	// Another person cannot attach to Rita's line: not found.
	rob := s.client(t, s.rob)
	if res := rob.Upload(path, "file", "x.png", "image/png", pngBytes(t)); res.Status != http.StatusNotFound {
		t.Errorf("Rob's upload: %d", res.Status)
	}
}

// From the form through submission and approval: Max sees the report in his queue with the
// line over its limit and its receipt as a thumbnail, approves it, and the dashboard counts
// what is still open. Record by record, nobody else sees it.
func TestExpenseSubmitApproveAndAccess(t *testing.T) {
	t.Parallel()
	s := newExpenseSite(t)
	c := s.client(t, s.rita)
	c.Get("/expenses/new")
	f := s.expenseForm("save", [4]string{day(2), ids(s.meals.ID), "Bistro", "60.00"}, [4]string{day(1), ids(s.meals.ID), "Cafe", "12.50"})
	if res := c.Post("/expenses", f); res.Status != http.StatusSeeOther {
		t.Fatalf("save: %d", res.Status)
	}
	var r models.ExpenseReport
	s.db.Order("id DESC").First(&r)
	doc := fmt.Sprintf("/expenses/%d", r.ID)
	// A draft is Rita's alone.
	for _, u := range []*models.User{s.max, s.rob, s.ada} {
		if res := s.client(t, u).Get(doc); res.Status != http.StatusNotFound {
			t.Errorf("%s opens Rita's draft: %d", u.Name, res.Status)
		}
	}
	// Submitting without the receipt and justification is refused beside each line.
	c.Get(doc)
	f.Set("intent", "submit")
	res := c.Post(doc, f)
	if res.Status != http.StatusUnprocessableEntity || res.Text("#expense-0-justification-error") == "" || res.Text("#expense-0-receipt-error") == "" ||
		res.Text("#expense-1-receipt-error") != "" {
		t.Fatalf("refused submit: %d %q %q", res.Status, res.Text("#expense-0-justification-error"), res.Text("#expense-0-receipt-error"))
	}
	var line models.ExpenseLine
	s.db.Where("report_id = ? AND position = 1", r.ID).First(&line)
	c.Get(doc)
	if res := c.Upload(fmt.Sprintf("%s/lines/%d/receipt", doc, line.ID), "file", "bistro.png", "image/png", pngBytes(t)); res.Status != http.StatusSeeOther {
		t.Fatalf("receipt: %d", res.Status)
	}
	page := c.Get(doc)
	f = s.expenseForm("submit", [4]string{day(2), ids(s.meals.ID), "Bistro", "60.00"}, [4]string{day(1), ids(s.meals.ID), "Cafe", "12.50"})
	f["justification"] = []string{"Client dinner", ""}
	f["receipt"] = []string{page.Doc.Find(`input[name=receipt]`).First().AttrOr("value", ""), ""}
	if res := c.Post(doc, f); res.Status != http.StatusSeeOther {
		t.Fatalf("submit: %d %s", res.Status, res.Text(".field-error"))
	}
	s.db.First(&r, r.ID)
	if r.Status != models.ExpenseSubmitted || r.Number == nil || r.TotalMinor != 7250 {
		t.Fatalf("submitted: %+v", r)
	}
	// The submitted report's page names it by its title as well as its number.
	if got := c.Get(doc).Doc.Find(`dt:contains("Title") + dd`).Text(); strings.TrimSpace(got) != "Client visit" {
		t.Errorf("the report's page shows the title %q", got)
	}
	// Rita's dashboard: one open report, $72.50.
	if got := strings.Join(strings.Fields(c.Get("/dashboard").Text(".dash-expenses")), " "); got != "1 · $72.50" {
		t.Errorf("dashboard card %q", got)
	}
	// Routed to Max: in his queue, with the line's flag and receipt thumbnail.
	maxC := s.client(t, s.max)
	queue := maxC.Get("/approvals?type=expense")
	row := queue.Doc.Find(`a[href="` + doc + `"]`)
	if row.Length() == 0 && !strings.Contains(queue.Text("body"), *r.Number) {
		t.Fatalf("not in Max's queue")
	}
	var step models.ApprovalStep
	s.db.Where("doc_type = ? AND doc_id = ? AND status = ?", models.DocExpense, r.ID, models.StepPending).First(&step)
	details := maxC.Get(fmt.Sprintf("/approvals/%d", step.ID))
	if !strings.Contains(details.Text("body"), "Over the category's limit ($50.00 a day): “Client dinner”") {
		t.Errorf("details do not show the limit")
	}
	thumb := details.Doc.Find(`img.receipt-thumb`)
	if thumb.Length() != 1 {
		t.Fatalf("%d receipt thumbnails", thumb.Length())
	}
	if res := maxC.Get(thumb.AttrOr("src", "")); res.Status != 200 || res.Header.Get("Content-Type") != "image/png" {
		t.Errorf("thumbnail: %d %s", res.Status, res.Header.Get("Content-Type"))
	}
	if res := maxC.Get(doc); res.Status != 200 || res.Doc.Find(`img.exp-thumb`).Length() != 1 {
		t.Errorf("Max opens the report: %d", res.Status)
	}
	// Others: Rob and Al find nothing, their download neither; Ada sees everyone's.
	for _, u := range []*models.User{s.rob, s.al} {
		oc := s.client(t, u)
		for _, p := range []string{doc, doc + "/history", thumb.AttrOr("src", "")} {
			if res := oc.Get(p); res.Status != http.StatusNotFound {
				t.Errorf("%s GET %s: %d", u.Name, p, res.Status)
			}
		}
		if res := oc.Post(doc+"/comments", url.Values{"body": {"hello"}}); res.Status != http.StatusNotFound {
			t.Errorf("%s comments: %d", u.Name, res.Status)
		}
	}
	adaC := s.client(t, s.ada)
	if res := adaC.Get(doc); res.Status != 200 {
		t.Errorf("Ada: %d", res.Status)
	}
	if res := adaC.Get("/expenses/all"); !strings.Contains(res.Text("body"), *r.Number) {
		t.Errorf("Ada's list lacks the report")
	}
	if res := s.client(t, s.rob).Get("/expenses/all"); res.Status != http.StatusSeeOther {
		t.Errorf("Rob on everyone's expenses: %d", res.Status)
	}
	// Max approves.
	maxC.Get("/approvals")
	if res := maxC.Post(fmt.Sprintf("/approvals/%d/approve", step.ID), url.Values{}); res.Status != http.StatusSeeOther {
		t.Fatalf("approve: %d", res.Status)
	}
	s.db.First(&r, r.ID)
	if r.Status != models.ExpenseApproved {
		t.Errorf("after approval: %s", r.Status)
	}
	hist := c.Get(doc + "/history")
	if hist.Status != 200 || !strings.Contains(hist.Text("body"), *r.Number) {
		t.Errorf("history: %d", hist.Status)
	}
	if res := c.Get("/expenses?status=approved"); !strings.Contains(res.Text("body"), *r.Number) {
		t.Errorf("Rita's approved list lacks it")
	}
}

// The admin keeps the expense policy on its pages: a category with its limit, a mileage rate,
// a per diem rate, and the receipt threshold (refused beside the field when negative).
func TestExpensePolicyAdminPages(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	app := testutil.NewApp(t, env)
	db := env.DB(t, acme)
	gl := models.GLAccount{Code: "7100", Name: "Meals"}
	if err := db.Create(&gl).Error; err != nil {
		t.Fatal(err)
	}
	c := app.Client(t, "acme")
	c.SignIn("ana@acme.example", testutil.Password)
	c.Get("/admin/expense-categories/new")
	res := c.Post("/admin/expense-categories", url.Values{"name": {"Meals"}, "gl_account": {ids(gl.ID)}, "limit": {"75"}, "limit_per": {"day"}, "currency": {"USD"}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("category: %d %s", res.Status, res.Text("body"))
	}
	if !strings.Contains(c.Get("/admin/expense-categories").Text("body"), "$75.00 a day") {
		t.Error("the list does not show the limit")
	}
	c.Get("/admin/mileage-rates/new")
	if res := c.Post("/admin/mileage-rates", url.Values{"unit": {"mi"}, "effective_from": {"2026-01-01"}, "rate": {"0.585"}, "currency": {"USD"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("mileage: %d", res.Status)
	}
	if !strings.Contains(c.Get("/admin/mileage-rates").Text("body"), "$0.585") {
		t.Error("the list does not show the rate")
	}
	c.Get("/admin/per-diem-rates/new")
	if res := c.Post("/admin/per-diem-rates", url.Values{"destination": {"Berlin"}, "daily": {"80"}, "currency": {"EUR"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("per diem: %d", res.Status)
	}
	c.Get("/admin/receipt-threshold")
	res = c.Post("/admin/receipt-threshold", url.Values{"receipt_threshold": {"-1"}})
	if res.Status != http.StatusUnprocessableEntity || res.Text("#receipt_threshold-error") != "An amount cannot be negative." {
		t.Errorf("negative threshold: %d %q", res.Status, res.Text("#receipt_threshold-error"))
	}
	if res := c.Post("/admin/receipt-threshold", url.Values{"receipt_threshold": {"30.00"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("threshold: %d", res.Status)
	}
	if tm, _ := models.ReceiptThreshold(context.Background(), db); tm.Minor != 3000 {
		t.Errorf("threshold %d", tm.Minor)
	}
}

// Through htmx, attaching a receipt answers with the line's receipt alone, and with the
// form's new draft version when the form was read at the version the upload started from:
// the form's unsaved typing stays, and saving it afterwards keeps the receipt. A form read
// before another change keeps its version, so that its save is still refused.
func TestAttachingAReceiptInPlaceKeepsTheForm(t *testing.T) {
	t.Parallel()
	s := newExpenseSite(t)
	c := s.client(t, s.rita)
	c.Get("/expenses/new")
	if res := c.Post("/expenses", s.expenseForm("save", [4]string{day(1), ids(s.meals.ID), "Cafe", "40.00"})); res.Status != http.StatusSeeOther {
		t.Fatalf("save: %d %s", res.Status, res.Text(".flash-error"))
	}
	var r models.ExpenseReport
	s.db.Order("id DESC").First(&r)
	var line models.ExpenseLine
	s.db.Where("report_id = ?", r.ID).First(&line)
	doc := fmt.Sprintf("/expenses/%d", r.ID)
	page := c.Get(doc)
	form := page.Doc.Find("form#receipt-0")
	if form.AttrOr("hx-post", "") != fmt.Sprintf("%s/lines/%d/receipt", doc, line.ID) || form.AttrOr("hx-target", "") != "#receipt-field-0" {
		t.Fatalf("receipt form: hx-post %q hx-target %q", form.AttrOr("hx-post", ""), form.AttrOr("hx-target", ""))
	}
	readAt := page.Doc.Find("input#draft-version").AttrOr("value", "")
	if readAt == "" {
		t.Fatal("the form carries no draft version")
	}
	path := fmt.Sprintf("%s/lines/%d/receipt", doc, line.ID)
	c.Header = http.Header{"Hx-Request": {"true"}, "Outlay-Draft-Version": {readAt}}

	// A refused file: the field again, with its message, and the form's version untouched.
	res := c.UploadWith(path, nil, "file", "notes.txt", "image/png", []byte("words\n"))
	if res.Status != http.StatusUnprocessableEntity || res.Text("#receipt-field-0 #expense-0-receipt-error") != "A receipt must be a photo (JPEG, PNG, WebP or GIF) or a PDF." {
		t.Fatalf("refused file: %d %q", res.Status, res.Text("#expense-0-receipt-error"))
	}
	if res.Doc.Find("#draft-version").Length() != 0 || res.Doc.Find("#expense-form").Length() != 0 {
		t.Errorf("a refused receipt answered more than its field: %s", res.Body)
	}

	res = c.UploadWith(path, nil, "file", "cafe.png", "image/png", pngBytes(t))
	if res.Status != http.StatusOK {
		t.Fatalf("receipt: %d %s", res.Status, res.Body)
	}
	if res.Doc.Find("#expense-form").Length() != 0 || res.Text("#receipt-field-0 a") != "cafe.png" {
		t.Errorf("the answer is not the line's receipt alone: %s", res.Body)
	}
	if !strings.Contains(res.Header.Get("HX-Trigger"), "Receipt attached to line 1.") {
		t.Errorf("no toast: %q", res.Header.Get("HX-Trigger"))
	}
	s.db.First(&line, line.ID)
	if line.ReceiptID == nil {
		t.Fatal("the photo is not the line's receipt")
	}
	if got := res.Doc.Find(`#receipt-field-0 input[name=receipt]`).AttrOr("value", ""); got != ids(*line.ReceiptID) {
		t.Errorf("the field carries receipt %q, want %d", got, *line.ReceiptID)
	}
	swap := res.Doc.Find(`input#draft-version[hx-swap-oob]`)
	newVersion := swap.AttrOr("value", "")
	if newVersion == "" || newVersion == readAt {
		t.Fatalf("the form's version is not moved on: %q (read at %q): %s", newVersion, readAt, res.Body)
	}

	// The form, with what was typed meanwhile, the new version and the receipt, saves.
	c.Header = nil
	f := s.expenseForm("save", [4]string{day(1), ids(s.meals.ID), "Cafe", "40.00"})
	f.Set("purpose", "Meeting Initech, typed while the receipt went up")
	f.Set("version", newVersion)
	f.Set("receipt", ids(*line.ReceiptID))
	if res := c.Post(doc, f); res.Status != http.StatusSeeOther {
		t.Fatalf("save after the receipt: %d %s", res.Status, res.Text(".flash-error, [data-form-error]"))
	}
	s.db.First(&line, line.ID)
	s.db.First(&r, r.ID)
	if line.ReceiptID == nil || r.Purpose != "Meeting Initech, typed while the receipt went up" {
		t.Errorf("after the save: receipt %v, purpose %q", line.ReceiptID, r.Purpose)
	}

	// A form read at an older version keeps it: its save is still refused.
	c.Header = http.Header{"Hx-Request": {"true"}, "Outlay-Draft-Version": {readAt}}
	res = c.UploadWith(path, nil, "file", "cafe2.png", "image/png", pngBytes(t))
	if res.Status != http.StatusOK || res.Doc.Find("#draft-version").Length() != 0 {
		t.Errorf("a stale form's upload: %d, version swapped %v", res.Status, res.Doc.Find("#draft-version").Length() != 0)
	}
}

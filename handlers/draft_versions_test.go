package handlers_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"outlay/internal/testutil"
	"outlay/models"
)

// An edit form carries the version of the draft it was read at: the same draft open in two
// tabs, saved in one and then in the other, has the second save refused with a message
// above the form, the first tab's change kept, and what the second tab typed shown again
// with the current version, so that saving once more is the person's choice.

// storedDraft is what a test reads of a stored draft: a header field, a field of its first
// line, and its status.
type storedDraft struct{ header, line, status string }

// draftTabs is one kind's draft, opened in two tabs.
type draftTabs struct {
	c      *testutil.Client
	path   string // the draft's page: it shows the edit form and takes its posts
	form   string // the edit form's selector
	header string // a header field both tabs change
	line   string // a field of the first line both tabs change
	// lineA and lineB are what each tab types in the line's field.
	lineA, lineB string
	stored       func(t *testing.T) storedDraft
}

// open reads the draft's edit form as a new tab shows it.
func (d draftTabs) open(t *testing.T) url.Values {
	t.Helper()
	res := d.c.Get(d.path)
	if res.Status != http.StatusOK {
		t.Fatalf("open %s: %d", d.path, res.Status)
	}
	return formValues(t, res, d.form)
}

// typeIn changes what a tab shows: the header and the first line's field.
func (d draftTabs) typeIn(f url.Values, header, line string) {
	f.Set(d.header, header)
	f[d.line][0] = line
	f.Set("intent", "save")
}

const staleMessage = "was changed in another tab or by someone else"

func checkEditedInTwoTabs(t *testing.T, d draftTabs) {
	t.Helper()
	a, b := d.open(t), d.open(t)
	read := a.Get("version")
	if read == "" || b.Get("version") != read {
		t.Fatalf("the two tabs carry versions %q and %q", read, b.Get("version"))
	}
	before := d.stored(t).status
	d.typeIn(a, "Changed in tab A", d.lineA)
	res := d.c.Post(d.path, a)
	if res.Status != http.StatusSeeOther {
		t.Fatalf("tab A's save: %d %s", res.Status, res.Text(".flash-error, .field-error"))
	}
	// Every kind says so in the same words.
	if got := d.c.Get(res.Location()).Text(".flash-success"); got != "Draft saved." {
		t.Errorf("tab A's save says %q", got)
	}
	d.typeIn(b, "Changed in tab B", d.lineB)
	res = d.c.Post(d.path, b)
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Text(d.form+" .flash-error"), staleMessage) {
		t.Fatalf("tab B's save of a form read before tab A's: %d %q", res.Status, res.Text(".flash-error"))
	}
	if got := d.stored(t); got.header != "Changed in tab A" || got.line != d.lineA {
		t.Errorf("after tab B's refused save the draft holds %+v, want tab A's change", got)
	}
	shown := formValues(t, res, d.form)
	if shown.Get(d.header) != "Changed in tab B" || len(shown[d.line]) == 0 || shown[d.line][0] != d.lineB {
		t.Errorf("the refused form shows %q and %q, not what tab B typed", shown.Get(d.header), shown[d.line])
	}
	current := d.open(t).Get("version")
	if current == read || shown.Get("version") != current {
		t.Errorf("the refused form carries version %q; read at %q, current %q", shown.Get("version"), read, current)
	}
	// Submitting from the stale form is refused the same way, and submits nothing.
	b.Set("intent", "submit")
	if res := d.c.Post(d.path, b); res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Text(".flash-error"), staleMessage) {
		t.Errorf("tab B's submit: %d %q", res.Status, res.Text(".flash-error"))
	}
	if got := d.stored(t); got.status != before || got.header != "Changed in tab A" {
		t.Errorf("after tab B's refused submit the draft is %+v", got)
	}
	// Saving the form shown again, at the current version, is the person's choice.
	shown.Set("intent", "save")
	if res := d.c.Post(d.path, shown); res.Status != http.StatusSeeOther {
		t.Fatalf("saving the form shown again: %d %s", res.Status, res.Text(".flash-error, .field-error"))
	}
	if got := d.stored(t); got.header != "Changed in tab B" || got.line != d.lineB || got.status != before {
		t.Errorf("after saving again the draft holds %+v, want tab B's change", got)
	}
}

func TestRequisitionEditedInTwoTabs(t *testing.T) {
	t.Parallel()
	s := newReqSite(t)
	c := s.client(t, s.rita)
	id := s.draft(t, c, [4]string{"Desk", "1", "100", ids(s.gl)})
	checkEditedInTwoTabs(t, requisitionTabs(t, s, c, id))
}

func requisitionTabs(t *testing.T, s *reqSite, c *testutil.Client, id int64) draftTabs {
	return draftTabs{c: c, path: fmt.Sprintf("/requisitions/%d", id), form: "#requisition-form", header: "justification", line: "description",
		lineA: "Standing desk", lineB: "Corner desk", stored: func(t *testing.T) storedDraft {
			r := s.stored(t, id)
			return storedDraft{r.Justification, r.Lines[0].Description, r.Status}
		}}
}

func TestTravelRequestEditedInTwoTabs(t *testing.T) {
	t.Parallel()
	s := newTripSite(t)
	trip := s.save(t, s.tessC, s.tripForm())
	checkEditedInTwoTabs(t, tripTabs(s, trip.ID))
}

func tripTabs(s *tripSite, id int64) draftTabs {
	return draftTabs{c: s.tessC, path: fmt.Sprintf("/travel/%d", id), form: "#travel-form", header: "purpose", line: "to",
		lineA: "Lyon", lineB: "Nice", stored: func(t *testing.T) storedDraft {
			var trip models.TravelRequest
			var leg models.TravelLeg
			if err := s.db(t).First(&trip, id).Error; err != nil {
				t.Fatal(err)
			}
			if err := s.db(t).Where("travel_request_id = ? AND position = 1", id).First(&leg).Error; err != nil {
				t.Fatal(err)
			}
			return storedDraft{trip.Purpose, leg.ToPlace, trip.Status}
		}}
}

func TestExpenseReportEditedInTwoTabs(t *testing.T) {
	t.Parallel()
	s := newExpenseSite(t)
	c := s.client(t, s.rita)
	checkEditedInTwoTabs(t, expenseTabs(t, s, c))
}

// expenseTabs saves a draft report of Rita's with one line that needs no receipt.
func expenseTabs(t *testing.T, s *expenseSite, c *testutil.Client) draftTabs {
	t.Helper()
	c.Get("/expenses/new")
	res := c.Post("/expenses", s.expenseForm("save", [4]string{day(1), ids(s.meals.ID), "Cafe", "12.50"}))
	if res.Status != http.StatusSeeOther {
		t.Fatalf("save report: %d %s", res.Status, res.Text(".flash-error, .field-error"))
	}
	var r models.ExpenseReport
	if err := s.db.Order("id DESC").First(&r).Error; err != nil {
		t.Fatal(err)
	}
	return draftTabs{c: c, path: fmt.Sprintf("/expenses/%d", r.ID), form: "#expense-form", header: "title", line: "merchant",
		lineA: "Cafe Alpha", lineB: "Cafe Beta", stored: func(t *testing.T) storedDraft {
			var got models.ExpenseReport
			var line models.ExpenseLine
			if err := s.db.First(&got, r.ID).Error; err != nil {
				t.Fatal(err)
			}
			if err := s.db.Where("report_id = ? AND position = 1", r.ID).First(&line).Error; err != nil {
				t.Fatal(err)
			}
			return storedDraft{got.Title, line.Merchant, got.Status}
		}}
}

func TestBillDraftEditedInTwoTabs(t *testing.T) {
	t.Parallel()
	s := newBillSite(t)
	checkEditedInTwoTabs(t, billTabs(t, s))
}

// billTabs saves a draft bill of the site's order, one toner billed.
func billTabs(t *testing.T, s *billSite) draftTabs {
	t.Helper()
	f := s.orderForm("INV-TABS", [2]string{"1", "3.99"})
	f.Set("intent", "save")
	res := s.cleoC.Post("/bills", f)
	if res.Status != http.StatusSeeOther {
		t.Fatalf("save bill: %d %s", res.Status, res.Text(".flash-error, .field-error"))
	}
	path := res.Location()
	return draftTabs{c: s.cleoC, path: path, form: "#bill-form", header: "memo", line: "quantity",
		lineA: "2", lineB: "3", stored: func(t *testing.T) storedDraft {
			var b models.Bill
			var line models.BillLine
			if err := s.db.Where("vendor_invoice_number = ?", "INV-TABS").First(&b).Error; err != nil {
				t.Fatal(err)
			}
			if err := s.db.Where("bill_id = ? AND position = 1", b.ID).First(&line).Error; err != nil {
				t.Fatal(err)
			}
			return storedDraft{b.Memo, line.QuantityMilli.String(), b.Status}
		}}
}

// A draft submitted, withdrawn or deleted in another tab: saving a form read before says
// so, plainly, and never fails as an error of the server. Submitted, it can no longer be
// changed; withdrawn, it can, and the form is refused as changed since; deleted, the form
// comes back with what was typed and a message above it saying the draft was deleted, and
// saved again it makes a new draft.
func TestDraftSubmittedWithdrawnOrDeletedInAnotherTab(t *testing.T) {
	t.Parallel()
	kinds := []struct {
		name     string
		open     func(t *testing.T) draftTabs
		withdraw bool // the kind can be withdrawn and deleted by its owner
	}{
		{"requisition", func(t *testing.T) draftTabs {
			s := newReqSite(t)
			ron, _ := s.withManager(t)
			c := s.client(t, ron)
			return requisitionTabs(t, s, c, s.draft(t, c, [4]string{"Desk", "1", "100", ids(s.gl)}))
		}, true},
		{"travel request", func(t *testing.T) draftTabs {
			s := newTripSite(t)
			return tripTabs(s, s.save(t, s.tessC, s.tripForm()).ID)
		}, true},
		{"expense report", func(t *testing.T) draftTabs {
			s := newExpenseSite(t)
			return expenseTabs(t, s, s.client(t, s.rita))
		}, true},
		{"bill", func(t *testing.T) draftTabs { return billTabs(t, newBillSite(t)) }, false},
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			d := k.open(t)
			stale := d.open(t)
			d.typeIn(stale, "Typed in the stale tab", d.lineB)
			submit := func() {
				t.Helper()
				f := d.open(t)
				f.Set("intent", "submit")
				if res := d.c.Post(d.path, f); res.Status != http.StatusSeeOther {
					t.Fatalf("submit in the other tab: %d %s", res.Status, res.Text(".flash-error, .field-error"))
				}
			}
			submit()
			res := d.c.Post(d.path, stale)
			if res.Status != http.StatusConflict || !strings.Contains(res.Text(".error-card"), "can no longer be changed") &&
				!strings.Contains(res.Text(".error-card"), "no longer editable") {
				t.Errorf("saving after a submit: %d %q", res.Status, res.Text(".error-card"))
			}
			// Through htmx the refusal is a toast of its own words, a full sentence with no
			// title before it.
			d.c.Header.Set("HX-Request", "true")
			res = d.c.Post(d.path, stale)
			d.c.Header.Del("HX-Request")
			var trigger struct {
				Toast struct{ Kind, Message string }
			}
			if err := json.Unmarshal([]byte(res.Header.Get("HX-Trigger")), &trigger); err != nil || res.Status != http.StatusConflict ||
				!strings.HasPrefix(trigger.Toast.Message, "This ") || !strings.HasSuffix(trigger.Toast.Message, " Reload the page to see where it stands.") {
				t.Errorf("saving after a submit, through htmx: %d, toast %q", res.Status, trigger.Toast.Message)
			}
			if !k.withdraw {
				return
			}
			d.c.Get(d.path)
			if res := d.c.Post(d.path+"/withdraw", nil); res.Status != http.StatusSeeOther {
				t.Fatalf("withdraw: %d", res.Status)
			}
			res = d.c.Post(d.path, stale)
			if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Text(".flash-error"), staleMessage) {
				t.Errorf("saving after a submit and withdrawal: %d %q", res.Status, res.Text(".flash-error, .error-card"))
			}
			if got := d.stored(t); got.header == "Typed in the stale tab" {
				t.Errorf("the stale form was saved over the withdrawn draft: %+v", got)
			}
			// A fresh draft, deleted in the other tab.
			d = k.open(t)
			stale = d.open(t)
			d.typeIn(stale, "Typed in the stale tab", d.lineB)
			d.c.Get(d.path)
			if res := d.c.Post(d.path+"/delete", nil); res.Status != http.StatusSeeOther {
				t.Fatalf("delete: %d", res.Status)
			}
			res = d.c.Post(d.path, stale)
			deleted := "This " + k.name + " was deleted in another tab or by someone else since you opened this form, so it was not saved. " +
				"Copy what you need from the form below."
			if res.Status != http.StatusUnprocessableEntity || res.Text(d.form+" .flash-error") != deleted {
				t.Fatalf("saving after a delete: %d %q", res.Status, res.Text(".flash-error, .error-card"))
			}
			shown := formValues(t, res, d.form)
			if shown.Get(d.header) != "Typed in the stale tab" || len(shown[d.line]) == 0 || shown[d.line][0] != d.lineB {
				t.Errorf("the refused form shows %q and %q, not what was typed", shown.Get(d.header), shown[d.line])
			}
			// The form is a new one's now: saved, it makes one new draft of what it holds.
			action := res.Doc.Find(d.form).AttrOr("action", "")
			if action == d.path || shown.Get("form_key") == "" || shown.Has("version") {
				t.Fatalf("the form shown again posts to %q with form key %q and version %q", action, shown.Get("form_key"), shown.Get("version"))
			}
			first, again := d.c.Post(action, shown), d.c.Post(action, shown)
			if first.Status != http.StatusSeeOther || again.Status != http.StatusSeeOther || first.Location() == d.path || again.Location() != first.Location() {
				t.Errorf("saving the form shown again, twice: %d %q, then %d %q", first.Status, first.Location(), again.Status, again.Location())
			}
		})
	}
}

// A receipt attached in another tab is part of the report's form: a form read before it was
// attached is refused rather than saving the line without it.
func TestExpenseReceiptAttachedInAnotherTab(t *testing.T) {
	t.Parallel()
	s := newExpenseSite(t)
	c := s.client(t, s.rita)
	d := expenseTabs(t, s, c)
	stale := d.open(t)
	var line models.ExpenseLine
	if err := s.db.Where("merchant = ?", "Cafe").First(&line).Error; err != nil {
		t.Fatal(err)
	}
	if res := c.Upload(fmt.Sprintf("%s/lines/%d/receipt", d.path, line.ID), "file", "cafe.png", "image/png", pngBytes(t)); res.Status != http.StatusSeeOther {
		t.Fatalf("receipt: %d", res.Status)
	}
	d.typeIn(stale, "Typed before the receipt", "Cafe")
	if res := c.Post(d.path, stale); res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Text(".flash-error"), staleMessage) {
		t.Errorf("saving a form read before the receipt: %d %q", res.Status, res.Text(".flash-error"))
	}
	if err := s.db.First(&line, line.ID).Error; err != nil || line.ReceiptID == nil {
		t.Errorf("the line's receipt after the stale save: %v (%v)", line.ReceiptID, err)
	}
}

// A bill's invoice file is shown beside its form, not in it: a form read before the file was
// uploaded in another tab saves, keeping the file, and the upload is audited all the same. A
// change of the form's fields made in another tab is still caught.
func TestBillInvoiceUploadedInAnotherTab(t *testing.T) {
	t.Parallel()
	s := newBillSite(t)
	d := billTabs(t, s)
	before := d.open(t)
	if res := s.cleoC.Upload(d.path+"/invoice", "file", "inv-tabs.pdf", "application/pdf", pdfBytes); res.Status != http.StatusSeeOther {
		t.Fatalf("invoice: %d", res.Status)
	}
	d.typeIn(before, "Typed before the invoice", "2")
	if res := d.c.Post(d.path, before); res.Status != http.StatusSeeOther {
		t.Fatalf("saving a form read before the invoice: %d %q", res.Status, res.Text(".flash-error, .field-error"))
	}
	if got := d.stored(t); got.header != "Typed before the invoice" || got.line != "2" {
		t.Errorf("after the save the bill holds %+v", got)
	}
	var b models.Bill
	if err := s.db.Where("vendor_invoice_number = ?", "INV-TABS").First(&b).Error; err != nil || b.InvoiceAttachmentID == nil {
		t.Fatalf("the bill's invoice after the save: %v (%v)", b.InvoiceAttachmentID, err)
	}
	var audited int64
	if err := s.db.Raw(`SELECT count(*) FROM audit_log WHERE table_name = 'bills' AND record_id = ? AND action = 'update'
		AND 'invoice_attachment_id' = ANY (changed) AND new ->> 'invoice_attachment_id' = ?`, ids(b.ID), ids(*b.InvoiceAttachmentID)).Scan(&audited).Error; err != nil {
		t.Fatal(err)
	}
	if audited != 1 {
		t.Errorf("%d audit records of the bill's invoice, want 1", audited)
	}

	stale, other := d.open(t), d.open(t)
	if res := s.cleoC.Upload(d.path+"/invoice", "file", "inv-tabs-2.pdf", "application/pdf", pdfBytes); res.Status != http.StatusSeeOther {
		t.Fatalf("second invoice: %d", res.Status)
	}
	d.typeIn(other, "Changed in the other tab", "3")
	if res := d.c.Post(d.path, other); res.Status != http.StatusSeeOther {
		t.Fatalf("the other tab's save: %d %q", res.Status, res.Text(".flash-error, .field-error"))
	}
	d.typeIn(stale, "Typed before the other tab's change", "4")
	if res := d.c.Post(d.path, stale); res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Text(".flash-error"), staleMessage) {
		t.Errorf("saving a form read before the other tab's change: %d %q", res.Status, res.Text(".flash-error"))
	}
	if got := d.stored(t); got.header != "Changed in the other tab" || got.line != "3" {
		t.Errorf("after the refused save the bill holds %+v, want the other tab's change", got)
	}
}

// Adding a line (or leg) to an edit form shows the form again as typed, without a save: it
// keeps the version the form was read at, so a change made meanwhile in another tab is still
// caught when it is saved.
func TestDraftVersionKeptWhenAddingALine(t *testing.T) {
	t.Parallel()
	reqs, trips, reports := newReqSite(t), newTripSite(t), newExpenseSite(t)
	rita := reqs.client(t, reqs.rita)
	kinds := []struct {
		name       string
		d          draftTabs
		post, with string // where adding a line posts, and the field that asks for it
	}{
		{"requisition", requisitionTabs(t, reqs, rita, reqs.draft(t, rita, [4]string{"Desk", "1", "100", ids(reqs.gl)})), "/requisitions/lines", "op=add"},
		{"travel request", tripTabs(trips, trips.save(t, trips.tessC, trips.tripForm()).ID), "/travel/legs", "op=add"},
		{"expense report", expenseTabs(t, reports, reports.client(t, reports.rita)), "", "intent=add-expense"},
	}
	for _, k := range kinds {
		f := k.d.open(t)
		read := f.Get("version")
		name, value, _ := strings.Cut(k.with, "=")
		f.Set(name, value)
		post := k.post
		if post == "" {
			post = k.d.path
		}
		res := k.d.c.Post(post, f)
		if res.Status != http.StatusOK {
			t.Fatalf("%s: adding a line: %d", k.name, res.Status)
		}
		if shown := formValues(t, res, k.d.form); read == "" || shown.Get("version") != read {
			t.Errorf("%s: the form with a line added carries version %q, read at %q", k.name, shown.Get("version"), read)
		}
	}
}

// formValues is what a browser would post of the form sel in res: its named controls (and
// those elsewhere that name it in form=), but not those of other forms, buttons, files,
// unticked boxes or disabled controls.
func formValues(t *testing.T, res *testutil.Response, sel string) url.Values {
	t.Helper()
	form := res.Doc.Find(sel)
	if form.Length() != 1 {
		t.Fatalf("no form %s in the page (%d): %s", sel, res.Status, res.Text(".flash-error, .error-card"))
	}
	id := form.AttrOr("id", "")
	out := url.Values{}
	res.Doc.Find("input[name], select[name], textarea[name]").Each(func(_ int, el *goquery.Selection) {
		owner, named := el.Attr("form")
		inForm := el.Closest(sel).Length() == 1
		if (named && owner != id) || (!named && !inForm) {
			return
		}
		if _, disabled := el.Attr("disabled"); disabled {
			return
		}
		name := el.AttrOr("name", "")
		switch goquery.NodeName(el) {
		case "textarea":
			out.Add(name, el.Text())
		case "select":
			opt := el.Find("option[selected]").First()
			if opt.Length() == 0 {
				opt = el.Find("option").First()
			}
			out.Add(name, opt.AttrOr("value", opt.Text()))
		default:
			switch el.AttrOr("type", "text") {
			case "submit", "button", "file", "image", "reset":
			case "checkbox", "radio":
				if _, on := el.Attr("checked"); on {
					out.Add(name, el.AttrOr("value", "on"))
				}
			default:
				out.Add(name, el.AttrOr("value", ""))
			}
		}
	})
	return out
}

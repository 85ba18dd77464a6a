package handlers_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"outlay/internal/testutil"
	"outlay/models"
)

// expenseRows counts what a refused form or file must leave as it was: reports, lines,
// attachments, and the stored line's amount and receipt.
func (s *expenseSite) expenseRows(t *testing.T) string {
	t.Helper()
	var reports, lines, files int64
	var amounts []string
	s.db.Model(&models.ExpenseReport{}).Count(&reports)
	s.db.Model(&models.ExpenseLine{}).Count(&lines)
	s.db.Model(&models.Attachment{}).Count(&files)
	s.db.Model(&models.ExpenseLine{}).Order("id").Select("amount_minor::text || '/' || coalesce(receipt_id::text, '-') || '/' || spent_on::text").Scan(&amounts)
	return fmt.Sprint(reports, lines, files, amounts)
}

// checkRefusalSummary expects a refused expense form to say above itself that fields below
// need correcting, in the summary the page puts the focus on when it loads (app.js).
func checkRefusalSummary(t *testing.T, where string, res *testutil.Response) {
	t.Helper()
	summary := res.Doc.Find("#expense-form [data-form-error]")
	if summary.Length() != 1 || strings.TrimSpace(summary.Text()) != "Please correct the fields marked below." ||
		summary.AttrOr("tabindex", "") != "-1" || summary.AttrOr("role", "") != "alert" {
		t.Errorf("%s: the summary above the form: %d, %q (tabindex %q, role %q)", where, summary.Length(), summary.Text(),
			summary.AttrOr("tabindex", ""), summary.AttrOr("role", ""))
	}
}

// Each bad input is named beside its own field, on a new report and on a stored draft alike,
// with a summary above the form, and nothing is saved: no report, line or file is added or
// changed.
func TestExpenseBadInputBesideTheFieldNothingSaved(t *testing.T) {
	t.Parallel()
	s := newExpenseSite(t)
	c := s.client(t, s.rita)
	c.Get("/expenses/new")
	if res := c.Post("/expenses", s.expenseForm("save", [4]string{day(1), ids(s.meals.ID), "Cafe", "40.00"})); res.Status != http.StatusSeeOther {
		t.Fatalf("save the draft: %d", res.Status)
	}
	var r models.ExpenseReport
	s.db.First(&r)
	var line models.ExpenseLine
	s.db.Where("report_id = ?", r.ID).First(&line)
	draft := fmt.Sprintf("/expenses/%d", r.ID)
	before := s.expenseRows(t)

	for _, tc := range []struct {
		name, field, want string
		line              [4]string
	}{
		{"negative amount", "amount", "An amount cannot be negative.", [4]string{day(1), ids(s.meals.ID), "Cafe", "-12.00"}},
		{"date far in the future", "date", "The date is after today; enter the day the money was spent.", [4]string{"2091-06-01", ids(s.meals.ID), "Cafe", "12.00"}},
		{"unknown category", "category", "Choose a category from the list.", [4]string{day(1), "987654", "Cafe", "12.00"}},
	} {
		for _, path := range []string{"/expenses", draft} {
			for _, intent := range []string{"save", "submit"} {
				res := c.Post(path, s.expenseForm(intent, tc.line))
				where := fmt.Sprintf("%s, %s to %s", tc.name, intent, path)
				if res.Status != http.StatusUnprocessableEntity {
					t.Errorf("%s: status %d", where, res.Status)
				}
				if got := res.Text("#expense-0-" + tc.field + "-error"); got != tc.want {
					t.Errorf("%s: beside the field %q, want %q", where, got, tc.want)
				}
				if got := res.Doc.Find("#expense-0-"+tc.field).AttrOr("aria-invalid", ""); got != "true" {
					t.Errorf("%s: the field is not marked invalid (%q)", where, got)
				}
				checkRefusalSummary(t, where, res)
				if after := s.expenseRows(t); after != before {
					t.Errorf("%s: rows changed: %s, was %s", where, after, before)
				}
			}
		}
	}

	receipt := fmt.Sprintf("/expenses/%d/lines/%d/receipt", r.ID, line.ID)
	for _, tc := range []struct {
		name, file, want string
		body             []byte
	}{
		{"wrong type", "notes.txt", "A receipt must be a photo (JPEG, PNG, WebP or GIF) or a PDF.", []byte("a note, not a photo\n")},
		{"executable", "receipt.png", "A receipt must be a photo (JPEG, PNG, WebP or GIF) or a PDF.", append([]byte("MZ\x90\x00"), make([]byte, 64)...)},
		{"too large", "huge.jpg", "This receipt is larger than 10 MB: take the photo again at a smaller size, or attach a PDF.", append(pngBytes(t), make([]byte, 10<<20)...)},
	} {
		res := c.Upload(receipt, "file", tc.file, "image/png", tc.body)
		if res.Status != http.StatusUnprocessableEntity || res.Text("#expense-0-receipt-error") != tc.want {
			t.Errorf("%s: %d %q, want %q", tc.name, res.Status, res.Text("#expense-0-receipt-error"), tc.want)
		}
		checkRefusalSummary(t, tc.name, res)
		if after := s.expenseRows(t); after != before {
			t.Errorf("%s: rows changed: %s, was %s", tc.name, after, before)
		}
	}
}

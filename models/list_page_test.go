package models_test

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"

	"gorm.io/gorm"

	"outlay/models"
)

// A later page of a list reads what it shows of each row (the lines' count, the vendor) for
// its own rows only, not for every row it skips, and holds the rows the whole list has there.
func TestAListPageReadsOnlyItsRows(t *testing.T) {
	t.Parallel()
	w := newApprovalWorld(t)
	ctx := context.Background()
	for i := range 30 {
		w.requisition(w.rita, &w.eng, "USD", reqLine{&w.software, int64(100 + i)}, reqLine{&w.travel, 5})
	}
	v := viewer(w.rita)
	whole, err := models.ListRequisitions(ctx, w.db, v, models.RequisitionFilter{Mine: true, Limit: 100})
	if err != nil || len(whole.Rows) != 30 {
		t.Fatalf("the whole list: %d rows, %v", len(whole.Rows), err)
	}
	// Every execution of the lines' count is a scan of requisition_lines, counted for the
	// transaction by Postgres.
	lineReads := func(tx *gorm.DB) int64 {
		var n int64
		w.must(tx.Raw(`SELECT coalesce(sum(seq_scan + coalesce(idx_scan, 0)), 0) FROM pg_stat_xact_user_tables
			WHERE relname = 'requisition_lines'`).Scan(&n).Error)
		return n
	}
	w.must(w.db.Transaction(func(tx *gorm.DB) error {
		before := lineReads(tx)
		page, err := models.ListRequisitions(ctx, tx, v, models.RequisitionFilter{Mine: true, Offset: 20, Limit: 5})
		if err != nil {
			return err
		}
		if read := lineReads(tx) - before; read > 5 {
			t.Errorf("the page of 5 rows after 20 counted lines %d times", read)
		}
		if !reflect.DeepEqual(page.Rows, whole.Rows[20:25]) || page.Total != 30 {
			t.Errorf("page after 20: %d of %d rows, not the whole list's rows 21-25", len(page.Rows), page.Total)
		}
		return nil
	}))
}

// The requisition list reads its page straight into each row's fields: every field as GORM
// reads the same rows, a draft's missing number and dates and a row without a department or
// vendor included.
func TestRequisitionListReadsItsRowsAsGORMDoes(t *testing.T) {
	t.Parallel()
	w := newApprovalWorld(t)
	ctx := context.Background()
	submitted := w.requisition(w.rita, &w.eng, "USD", reqLine{&w.software, 1200}, reqLine{&w.travel, 5})
	w.submit(submitted)
	w.requisition(w.rita, nil, "EUR", reqLine{&w.software, 700})
	bare := w.requisition(w.rita, &w.sales, "GBP", reqLine{nil, 90}, reqLine{nil, 1}, reqLine{nil, 2})
	w.must(w.db.Exec(`UPDATE requisitions SET vendor_id = NULL, needed_by = DATE '2027-03-04', justification = 'Chairs'
		WHERE id = ?`, bare.ID).Error)
	v := viewer(w.rita)
	f := models.RequisitionFilter{Mine: true, Limit: 25}
	got, err := models.ListRequisitions(ctx, w.db, v, f)
	if err != nil {
		t.Fatal(err)
	}
	want, err := models.ListRequisitionsByGORM(ctx, w.db, v, f)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Rows) != 3 || !reflect.DeepEqual(got.Rows, want) {
		t.Fatalf("the list read its rows as\n%+v\nnot as GORM reads them:\n%+v", got.Rows, want)
	}
	byID := map[int64]models.RequisitionSummary{}
	for _, r := range got.Rows {
		byID[r.ID] = r
	}
	if r := byID[submitted.ID]; r.Number == nil || r.SubmittedAt == nil || r.DepartmentName != "Engineering" || r.VendorName == "" ||
		r.RequesterName != "Rita Requester" || r.LineCount != 2 || r.Currency != "USD" {
		t.Errorf("the submitted requisition read as %+v", r)
	}
	if r := byID[bare.ID]; r.Number != nil || r.NeededBy == nil || r.NeededBy.Format("2006-01-02") != "2027-03-04" || r.VendorName != "" ||
		r.DepartmentName != "Sales" || r.Justification != "Chairs" || r.LineCount != 3 {
		t.Errorf("the draft without a vendor read as %+v", r)
	}
	none, err := models.ListRequisitions(ctx, w.db, viewer(w.al), models.RequisitionFilter{Mine: true, Limit: 25})
	if err != nil || none.Rows != nil || none.Total != 0 {
		t.Errorf("an empty list: %+v, %v", none, err)
	}
}

// A person's own list ("My requisitions") holds their own documents, drafts included, and
// nobody else's, even those routed to them; it reads them by that condition alone, not by
// the routes that show other people's documents to them.
func TestMyListIsReadByOwnershipAlone(t *testing.T) {
	t.Parallel()
	w := newApprovalWorld(t)
	ctx := context.Background()
	w.rule(models.ApprovalRule{Priority: 1}, models.ApprovalRuleStep{Kind: models.StepManager})
	submitted := w.requisition(w.rita, &w.eng, "USD", reqLine{&w.software, 1200})
	w.submit(submitted)
	draft := w.requisition(w.rita, &w.eng, "USD", reqLine{&w.software, 300})
	maxOwn := w.requisition(w.max, &w.eng, "USD", reqLine{&w.software, 900})
	db := w.db.Session(&gorm.Session{NewDB: true})
	sent := sentStatements(t, db)
	ids := func(u *models.User) []int64 {
		t.Helper()
		before := len(sent())
		l, err := models.ListRequisitions(ctx, db, viewer(u), models.RequisitionFilter{Mine: true, Limit: 25})
		if err != nil {
			t.Fatal(err)
		}
		texts := sent()[before:]
		if len(texts) == 0 {
			t.Fatal("the list sent no statement the test saw")
		}
		for _, text := range texts {
			if strings.Contains(text, "approval_steps") {
				t.Errorf("%s's own list reads the routes: %s", u.Name, text)
			}
		}
		var out []int64
		for _, r := range l.Rows {
			out = append(out, r.ID)
		}
		if l.Total != len(out) {
			t.Errorf("%s's list counts %d and shows %d", u.Name, l.Total, len(out))
		}
		return out
	}
	if got := ids(w.rita); len(got) != 2 || !slices.Contains(got, submitted.ID) || !slices.Contains(got, draft.ID) {
		t.Errorf("Rita's own list: %v, want her draft %d and her submitted requisition %d", got, draft.ID, submitted.ID)
	}
	// Max sees Rita's submitted requisition (it waits for him) but it is not his own.
	if _, err := models.GetRequisition(ctx, db, viewer(w.max), submitted.ID); err != nil {
		t.Fatalf("Max reads the requisition routed to him: %v", err)
	}
	if got := ids(w.max); len(got) != 1 || got[0] != maxOwn.ID {
		t.Errorf("Max's own list: %v, want only his requisition %d", got, maxOwn.ID)
	}
}

// A filter's choice from a closed set of names (the audit log's table and action) is written
// into the statement, so that each choice is planned for itself, and a page's size and offset
// are numbers in it; a value that is not such a name is sent as a parameter and matches
// nothing, whatever quotes it holds.
func TestFilterNamesAndPageSizesAreWrittenIn(t *testing.T) {
	t.Parallel()
	w := newApprovalWorld(t)
	ctx := context.Background()
	w.requisition(w.rita, &w.eng, "USD", reqLine{&w.software, 100})
	db := w.db.Session(&gorm.Session{NewDB: true})
	sent := sentStatements(t, db)
	before := len(sent())
	got, _, err := models.AuditEntries(ctx, db, models.AuditFilter{Object: "requisitions", Action: "create", Limit: 3})
	w.must(err)
	texts := sent()[before:]
	if len(got) == 0 || len(texts) != 1 || !strings.Contains(texts[0], "table_name = 'requisitions'") ||
		!strings.Contains(texts[0], "action = 'create'") || !strings.HasSuffix(texts[0], "LIMIT 4") {
		t.Errorf("%d entries by %q", len(got), texts)
	}
	for _, odd := range []string{"requisitions' OR 'x' = 'x", "Requisitions", "requisitions;", ""} {
		before := len(sent())
		got, _, err := models.AuditEntries(ctx, db, models.AuditFilter{Object: odd, Action: "create' OR action <> '", Limit: 3})
		if err != nil || len(got) != 0 {
			t.Errorf("object %q: %d entries, %v", odd, len(got), err)
		}
		for _, text := range sent()[before:] {
			if strings.Contains(text, "OR 'x'") || strings.Contains(text, "OR action") {
				t.Errorf("object %q written into the statement: %s", odd, text)
			}
		}
	}
	// A field's choice of roles is written in; a role not shaped as a name is sent as a value.
	holders := func(roles ...string) int {
		var n int
		w.must(w.db.Raw(`SELECT count(DISTINCT user_id) FROM user_roles WHERE role IN ? AND user_id <> ?`, append(roles, ""), w.rita.ID).Scan(&n).Error)
		return n
	}
	for _, c := range []struct {
		roles   []string
		written string
		want    int
	}{
		{[]string{"approver"}, "ur.role IN ('approver')", holders("approver")},
		{[]string{"approver", "requester"}, "ur.role IN ('approver', 'requester')", holders("approver", "requester")},
		{[]string{"approver", "no such' OR 'x' = 'x"}, "ur.role IN ($", holders("approver")},
		{[]string{}, "false", 0},
	} {
		if c.want == 0 && len(c.roles) > 0 {
			t.Fatalf("nobody holds %q: the case proves nothing", c.roles)
		}
		before := len(sent())
		got, err := models.FindPeopleChoices(ctx, db, models.PeopleChoiceFilter{Scope: models.PeopleCurrent, Roles: c.roles, Except: w.rita.ID}, "", 20)
		w.must(err)
		texts := sent()[before:]
		if len(got) != c.want || len(texts) != 1 || !strings.Contains(texts[0], c.written) || strings.Contains(texts[0], "OR 'x'") {
			t.Errorf("roles %q: %d people by %q, want %d by %q", c.roles, len(got), texts, c.want, c.written)
		}
	}
	before = len(sent())
	if _, err := models.ListRequisitions(ctx, db, viewer(w.rita), models.RequisitionFilter{Mine: true, Offset: 20, Limit: 5}); err != nil {
		t.Fatal(err)
	}
	if texts := sent()[before:]; len(texts) == 0 || !strings.Contains(texts[len(texts)-1], "LIMIT 5 OFFSET 20") {
		t.Errorf("a later page's size and offset are not written in: %q", texts)
	}
}

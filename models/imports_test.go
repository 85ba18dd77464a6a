package models_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"outlay"
	"outlay/audit"
	"outlay/internal/dbtest"
	"outlay/internal/poll"
	"outlay/models"
	"outlay/policy"
	"outlay/sheet"
	"outlay/tenancy"
)

// importText runs an import of kind from CSV text as an admin would commit it (dry: preview).
func importText(t *testing.T, ctx context.Context, db *gorm.DB, kind, text string, dry bool) (*models.ImportResult, error) {
	t.Helper()
	k, ok := models.FindImportKind(kind)
	if !ok {
		t.Fatalf("no import kind %s", kind)
	}
	tbl, err := sheet.Read(strings.NewReader(text), kind+".csv", sheet.DefaultLimits)
	if err != nil {
		t.Fatalf("read %s: %v", kind, err)
	}
	g := models.ByOperator()
	if a := audit.ActorFrom(ctx); a.Type == audit.ActorUser {
		g = models.ByPerson(a.ID)
	}
	return models.RunImport(ctx, db, k, tbl.Rows, tbl.Lines, k.DetectPlan(tbl.Rows), models.ImportOptions{DryRun: dry, Grantor: g, Source: kind + ".csv", Separator: tbl.Delimiter})
}

func importAdmin(t *testing.T) (context.Context, *gorm.DB, *dbtest.Env) {
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	admin := env.CreateUser(t, acme, "admin@acme.example", "Ada Admin", "admin")
	return audit.WithActor(context.Background(), audit.Actor{Type: audit.ActorUser, ID: admin.ID, Label: admin.Email}), db, env
}

func count(t *testing.T, db *gorm.DB, table string) int {
	t.Helper()
	var n int
	if err := db.Raw(`SELECT count(*) FROM ` + table).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// Insert-or-update by natural key: a second file creates what is new, updates what changed
// and leaves alone what is the same; the counts say which.
func TestImportUpsertCounts(t *testing.T) {
	t.Parallel()
	ctx, db, _ := importAdmin(t)
	first := "Name,Payment terms (days),Currency,Email\nAcme,30,USD,a@acme.example\nBeta,15,EUR,\nGamma,0,USD,\n"
	res, err := importText(t, ctx, db, "vendors", first, false)
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != 3 || res.Updated != 0 || res.Unchanged != 0 {
		t.Fatalf("first import: %+v", res)
	}
	// Case aside, Acme is the same; Gamma's empty status is the active it has.
	second := "name;payment_terms;currency;email;status\nAcme;30;usd;A@acme.example;Active\nBeta;45;EUR;;\nGamma;0;USD;;\nDelta;10;USD;;\n"
	res, err = importText(t, ctx, db, "vendors", second, false)
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != 1 || res.Updated != 1 || res.Unchanged != 2 {
		t.Fatalf("second import: created %d updated %d unchanged %d, want 1 1 2", res.Created, res.Updated, res.Unchanged)
	}
	if n := count(t, db, "vendors"); n != 4 {
		t.Fatalf("%d vendors, want 4", n)
	}
	var terms int
	db.Raw(`SELECT payment_terms_days FROM vendors WHERE name = 'Beta'`).Scan(&terms)
	if terms != 45 {
		t.Fatalf("Beta's terms are %d, want 45", terms)
	}
}

// A file of 10,000 rows whose row 9,999 is refused writes nothing, and says which row and why.
func TestImportAllOrNothing(t *testing.T) {
	t.Parallel()
	ctx, db, _ := importAdmin(t)
	var b strings.Builder
	b.WriteString("name,payment_terms,currency\n")
	for i := 1; i <= 10000; i++ {
		terms := "30"
		if i == 9999 {
			terms = "thirty"
		}
		fmt.Fprintf(&b, "Vendor %05d,%s,USD\n", i, terms)
	}
	before := count(t, db, "audit_log")
	res, err := importText(t, ctx, db, "vendors", b.String(), false)
	if !errors.Is(err, models.ErrImportRefused) {
		t.Fatalf("err = %v, want ErrImportRefused", err)
	}
	if res.Refused != 1 || res.Rows != 10000 {
		t.Fatalf("refused %d of %d", res.Refused, res.Rows)
	}
	var bad *models.ImportRow
	for i := range res.Sample {
		if res.Sample[i].Outcome == models.ImportRefused {
			bad = &res.Sample[i]
		}
	}
	if bad == nil || bad.Line != 10000 || !strings.Contains(bad.Errors["payment_terms"], "whole number of days") {
		t.Fatalf("refused row: %+v", bad)
	}
	if n := count(t, db, "vendors"); n != 0 {
		t.Fatalf("%d vendors written by a refused import", n)
	}
	if n := count(t, db, "audit_log"); n != before {
		t.Fatalf("audit log grew by %d rows for a refused import", n-before)
	}
}

// An import asks, once every row is written and before it commits, whether it may (its
// organisation may have been suspended or lapsed while it ran): a refusal writes nothing,
// and its message is the import's.
func TestImportAsksBeforeItCommits(t *testing.T) {
	t.Parallel()
	ctx, db, _ := importAdmin(t)
	k, _ := models.FindImportKind("vendors")
	text := "name,payment_terms,currency\nAcme,30,USD\nBeta,15,USD\n"
	tbl, err := sheet.Read(strings.NewReader(text), "vendors.csv", sheet.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	before := count(t, db, "audit_log")
	asked := 0
	refuse := outlay.ValidationErrors{"file": "Nothing was imported: the organisation was suspended."}
	_, err = models.RunImport(ctx, db, k, tbl.Rows, tbl.Lines, k.DetectPlan(tbl.Rows), models.ImportOptions{Grantor: models.ByOperator(),
		MayCommit: func(ctx context.Context) error {
			asked++
			if n := count(t, db, "vendors"); n != 0 {
				t.Errorf("%d vendors visible outside the import before it commits", n)
			}
			return refuse
		}})
	if v, ok := outlay.AsValidation(err); !ok || v["file"] != refuse["file"] || asked != 1 {
		t.Fatalf("an import refused before its commit: %v (asked %d)", err, asked)
	}
	if n := count(t, db, "vendors"); n != 0 {
		t.Errorf("%d vendors written by an import refused before its commit", n)
	}
	if n := count(t, db, "audit_log"); n != before {
		t.Errorf("the audit log grew by %d rows", n-before)
	}
	if _, err := models.RunImport(ctx, db, k, tbl.Rows, tbl.Lines, k.DetectPlan(tbl.Rows), models.ImportOptions{Grantor: models.ByOperator(),
		MayCommit: func(context.Context) error { return nil }}); err != nil || count(t, db, "vendors") != 2 {
		t.Errorf("an import allowed to commit: %v, %d vendors", err, count(t, db, "vendors"))
	}
}

// Each row's problems are named beside their columns, as the kind's form names them.
func TestImportRowErrors(t *testing.T) {
	t.Parallel()
	ctx, db, _ := importAdmin(t)
	if _, err := importText(t, ctx, db, "departments", "name,code\nEngineering,ENG\n", false); err != nil {
		t.Fatal(err)
	}
	if _, err := importText(t, ctx, db, "gl-accounts", "code,name\n6100,Software\n6200,Old\n", false); err != nil {
		t.Fatal(err)
	}
	var old int64
	db.Raw(`SELECT id FROM gl_accounts WHERE code = '6200'`).Scan(&old)
	if err := models.ArchiveGLAccount(ctx, db, old, true); err != nil {
		t.Fatal(err)
	}
	// An invited person is not active yet, as one deactivated is no longer.
	if _, err := importText(t, ctx, db, "users", "email,name,roles\ngone@acme.example,Gone,requester\nnew@acme.example,New,requester\n", false); err != nil {
		t.Fatal(err)
	}
	var gone int64
	db.Raw(`SELECT id FROM users WHERE email = 'gone@acme.example'`).Scan(&gone)
	if err := models.DeactivateUser(ctx, db, models.ByOperator(), gone); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		kind, text    string
		line          int
		column, words string
	}{
		{"users", "email,name,roles\nnot-an-email,Bo,requester\n", 2, "email", "email address like"},
		{"users", "email,name,roles,department\nbo@acme.example,Bo,requester,Marketing\n", 2, "department", "no department “Marketing”"},
		{"users", "email,name,roles\nbo@acme.example,Bo,requester\nBO@acme.example,Bo,requester\n", 3, "email", "Line 2 already has this email"},
		{"users", "email,name,roles\nbo@acme.example,Bo,wizard\n", 2, "roles", "There is no role wizard. The roles are"},
		{"budgets", "department,gl_account,period_start,period_end,amount\nENG,6100,2026-01-01,2026-12-31,12.345\n", 2, "amount", ""},
		{"budgets", "department,gl_account,period_start,period_end,amount\nENG,6100,2026-01-01,2026-12-31,100\nEngineering,6100,2026-06-01,2027-05-31,100\n", 3, "period_start", "may not overlap"},
		{"expense-categories", "name,gl_account,currency\nMeals,9999,USD\n", 2, "gl_account", "no GL account “9999”"},
		{"approval-rules", "doc_type,name,priority,currency,steps\nrequisition,Big,10,USD,role:nobody\n", 2, "steps", "Choose a role from the list"},
		// A quoted line break is kept in a value, but a name is written on one line.
		{"locations", "name,address\n\"Acme\nInc\",1 Main St\n", 2, "name", "on one line"},
		{"departments", "name,code\n\"Sales\r\nEMEA\",S\n", 2, "name", "on one line"},
		// New departments are checked in memory, yet refused what the form refuses.
		{"departments", "name,code\nSales,eng\n", 2, "code", "Another department has this code."},
		{"departments", "name,code\nSales,S1\nMarketing,s1\n", 3, "code", "Another department has this code."},
		{"departments", "name,code\nSales,S1\nEngineering,S1\n", 3, "code", "Another department has this code."},
		{"departments", "name,head\nSales,gone@acme.example\n", 2, "head", "Choose an active person as the head."},
		{"departments", "name,head\nSales,new@acme.example\n", 2, "head", "Choose an active person as the head."},
		{"departments", "name,default_gl_account\nSales,6200\n", 2, "default_gl_account", "Choose an active GL account"},
		{"departments", "name\nField  Sales\nfield sales\n", 3, "name", "Line 2 already has this name"},
		// Two rows naming one record with other spaces are refused here, rather than passing
		// the check and failing the import on the database's unique name.
		{"locations", "name\nHead  Office\nhead office\n", 3, "name", "Line 2 already has this name"},
	}
	for _, c := range cases {
		// The import refuses what its check does: a file refused writes nothing.
		for _, dry := range []bool{true, false} {
			res, err := importText(t, ctx, db, c.kind, c.text, dry)
			if !errors.Is(err, models.ErrImportRefused) {
				t.Fatalf("%s %q (dry run %v): %v, want it refused", c.kind, c.text, dry, err)
			}
			var found bool
			for _, r := range res.Sample {
				found = found || r.Line == c.line && r.Outcome == models.ImportRefused && strings.Contains(r.Errors[c.column], c.words)
			}
			if !found {
				t.Errorf("%s %q (dry run %v): want line %d refused on %s (%q); got %+v", c.kind, c.text, dry, c.line, c.column, c.words, res.Sample)
			}
		}
	}
	if n := count(t, db, "departments"); n != 1 {
		t.Errorf("%d departments after refused imports, want 1", n)
	}
	// A row's problems are told together: the unknown role with the unknown department, not
	// after the department is put right.
	res, err := importText(t, ctx, db, "users", "email,name,roles,department\nbo@acme.example,Bo,wizard,Marketing\n", true)
	if !errors.Is(err, models.ErrImportRefused) || len(res.Sample) != 1 ||
		!strings.Contains(res.Sample[0].Errors["roles"], "There is no role wizard") || !strings.Contains(res.Sample[0].Errors["department"], "Marketing") {
		t.Errorf("a row with an unknown role and department: %v, %+v", err, res.Sample)
	}
	// A value refused as too long is shown cut short, saying how long it was.
	long := strings.Repeat("x", 5000)
	res, err = importText(t, ctx, db, "departments", "name,code\n"+long+",L\n", true)
	if !errors.Is(err, models.ErrImportRefused) || len(res.Sample) != 1 {
		t.Fatalf("a 5,000-character name: %v, %+v", err, res.Sample)
	}
	if got := res.Sample[0].Values["name"]; len(got) > 300 || !strings.HasSuffix(got, "… (5,000 characters in all)") || res.Sample[0].Errors["name"] == "" {
		t.Errorf("the refused 5,000-character name is shown as %d bytes: %q…, error %q", len(got), got[:min(len(got), 40)], res.Sample[0].Errors["name"])
	}
}

// Every row an import writes is in the audit log as the admin's, with the import's request
// id, beside one import event naming the file and its counts.
func TestImportAudited(t *testing.T) {
	t.Parallel()
	ctx, db, _ := importAdmin(t)
	ctx = models.ImportActor(ctx, "test1234")
	if _, err := importText(t, ctx, db, "locations", "name,address\nBerlin,Mitte\nParis,Marais\n", false); err != nil {
		t.Fatal(err)
	}
	var rows []struct {
		Action, TableName, ActorLabel, RequestID string
		Event                                    *string
	}
	db.Raw(`SELECT action, COALESCE(table_name, '') AS table_name, actor_label, request_id, event FROM audit_log WHERE request_id = 'import-test1234' ORDER BY id`).Scan(&rows)
	if len(rows) != 3 {
		t.Fatalf("audit rows of the import: %+v", rows)
	}
	for _, r := range rows[:2] {
		if r.Action != "create" || r.TableName != "locations" || r.ActorLabel != "admin@acme.example" {
			t.Fatalf("audit row %+v", r)
		}
	}
	if rows[2].Event == nil || *rows[2].Event != audit.EventImport {
		t.Fatalf("no import event: %+v", rows[2])
	}
}

// refusedRow returns the refused row on line, or nil.
func refusedRow(res *models.ImportResult, line int) *models.ImportRow {
	for i := range res.Sample {
		if r := &res.Sample[i]; r.Line == line && r.Outcome == models.ImportRefused {
			return r
		}
	}
	return nil
}

// A row with more values than its header names (a comma inside an unquoted value, most
// often) is refused on its line, saying how many values it has and how many the header
// names, and how to quote such a value; the other rows are checked as usual.
func TestImportRefusesRowsLongerThanTheHeader(t *testing.T) {
	t.Parallel()
	ctx, db, _ := importAdmin(t)
	cases := []struct{ text, separator string }{
		{"Name,Address\nAcme, Inc X,1 Main St\nBeta,2 Road\n", "comma"},
		{"Name;Address\nAcme; Inc X;1 Main St\nBeta;2 Road\n", "semicolon"},
	}
	for _, c := range cases {
		res, err := importText(t, ctx, db, "locations", c.text, true)
		if !errors.Is(err, models.ErrImportRefused) {
			t.Fatalf("%s: err = %v, want ErrImportRefused; rows %+v", c.separator, err, res.Sample)
		}
		bad := refusedRow(res, 2)
		if bad == nil {
			t.Fatalf("%s: line 2 not refused: %+v", c.separator, res.Sample)
		}
		msg := bad.Errors[""]
		for _, words := range []string{"3 values", "header names 2 columns", "holds a " + c.separator, "double quotes"} {
			if !strings.Contains(msg, words) {
				t.Errorf("%s: line 2's problem %q does not say %q", c.separator, msg, words)
			}
		}
		if res.Refused != 1 || res.Created != 1 {
			t.Errorf("%s: refused %d, created %d; want 1 and 1", c.separator, res.Refused, res.Created)
		}
	}
	if n := count(t, db, "locations"); n != 0 {
		t.Fatalf("%d locations written by a check", n)
	}
}

// A row shorter than its header is not refused: spreadsheets (and the reader) leave out
// empty cells at the end of a row. Its missing cells are empty cells of their columns, so
// they clear a record's value as an empty cell in any other column does.
func TestImportShortRowEmptiesTrailingColumns(t *testing.T) {
	t.Parallel()
	ctx, db, _ := importAdmin(t)
	if _, err := importText(t, ctx, db, "locations", "name,address\nBerlin,Mitte\nParis,Marais\n", false); err != nil {
		t.Fatal(err)
	}
	res, err := importText(t, ctx, db, "locations", "name,address\nBerlin\nParis,\nRome\n", false)
	if err != nil {
		t.Fatalf("%v %+v", err, res.Sample)
	}
	if res.Created != 1 || res.Updated != 2 {
		t.Fatalf("created %d updated %d unchanged %d, want 1 2 0", res.Created, res.Updated, res.Unchanged)
	}
	var addresses []string
	db.Raw(`SELECT address FROM locations ORDER BY id`).Scan(&addresses)
	if strings.Join(addresses, "|") != "||" {
		t.Fatalf("addresses %q, want all empty", addresses)
	}
}

// A file whose first row names none of the kind's columns has no header: it is refused,
// listing the columns the kind expects, rather than its first row being imported as data.
func TestImportRefusesFileWithoutHeader(t *testing.T) {
	t.Parallel()
	k, _ := models.FindImportKind("locations")
	_, _, err := models.ReadImportFile(k, []byte("Foo,Bar\nAcme,1 Main St\n"), "locations.csv")
	v, ok := outlay.AsValidation(err)
	if !ok || !strings.Contains(v["file"], "no header row") || !strings.Contains(v["file"], "Name, Address") {
		t.Fatalf("upload: %v; want a refusal listing Name, Address", err)
	}
	// The command line reads files through RunImport, which refuses it too.
	ctx, db, _ := importAdmin(t)
	res, err := importText(t, ctx, db, "vendors", "Foo;Bar\nAcme;30\n", true)
	if v, ok := outlay.AsValidation(err); !ok || !strings.Contains(v["file"], "Name, Contact name, Email") || !strings.Contains(v["file"], "Payment terms (days)") {
		t.Fatalf("run: %v %+v; want a refusal listing the vendors' columns", err, res)
	}
}

// New departments are checked in memory and created many to a statement (TestImportRowErrors
// has what they are refused); what the check counts, the import writes.
func TestImportWritesTheDepartmentsItsCheckCounts(t *testing.T) {
	t.Parallel()
	ctx, db, _ := importAdmin(t)
	if _, err := importText(t, ctx, db, "gl-accounts", "code,name\n6100,Software\n", false); err != nil {
		t.Fatal(err)
	}
	if _, err := importText(t, ctx, db, "departments", "name,code\nEngineering,ENG\nOps,OPS\n", false); err != nil {
		t.Fatal(err)
	}
	// An update giving up a code lets a later row take it; a name with spaces around it is
	// the department it names; and what the check counts, the import writes.
	text := "name,code,head,default_gl_account\nEngineering,ENG2,admin@acme.example,6100\nSales,ENG,,\nMarketing,MKT,admin@acme.example,6100\n  Ops ,OPS,,\nField Sales,FS,,\n"
	for _, dry := range []bool{true, false} {
		res, err := importText(t, ctx, db, "departments", text, dry)
		if err != nil {
			t.Fatalf("dry run %v: %v %+v", dry, err, res.Sample)
		}
		if res.Created != 3 || res.Updated != 1 || res.Unchanged != 1 {
			t.Errorf("dry run %v: created %d updated %d unchanged %d, want 3 1 1", dry, res.Created, res.Updated, res.Unchanged)
		}
	}
	var got []string
	db.Raw(`SELECT d.name || ' ' || d.code || ' ' || COALESCE(h.email, '-') || ' ' || COALESCE(g.code, '-') FROM departments d
		LEFT JOIN users h ON h.id = d.head_id LEFT JOIN gl_accounts g ON g.id = d.default_gl_account_id ORDER BY d.name`).Scan(&got)
	want := []string{"Engineering ENG2 admin@acme.example 6100", "Field Sales FS - -", "Marketing MKT admin@acme.example 6100", "Ops OPS - -", "Sales ENG - -"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("departments:\n got %q\nwant %q", got, want)
	}
	// The saved name typed with other spaces is the same department, unchanged.
	if res, err := importText(t, ctx, db, "departments", "name,code\nField   Sales,FS\n", false); err != nil || res.Unchanged != 1 {
		t.Errorf("a saved name with other spaces: %+v, %v; want it unchanged", res, err)
	}
}

// An import of people reads the admin's reach once, and again after a row changes the
// admin's own roles: the rows after the one that changes them are checked with what they
// hold then, both for the roles they give and for adding people at all.
func TestImportReadsTheAdminsReachAgainAfterTheirOwnRow(t *testing.T) {
	t.Parallel()
	ctx, db, _ := importAdmin(t)
	// Another active admin remains, as one must.
	if _, err := models.CreateUser(context.Background(), db, models.NewUser{Email: "bea@acme.example", Name: "Bea", Password: dbtest.Password, Roles: []string{"admin"}}); err != nil {
		t.Fatal(err)
	}
	// As an admin, Ada may add a person with the admin role (this check writes nothing).
	if res, err := importText(t, ctx, db, "users", "email,name,roles\ncy@acme.example,Cy,admin\n", true); err != nil || res.Created != 1 {
		t.Fatalf("an admin gives the admin role: %+v %v", res, err)
	}
	// A role that may invite and edit people, and no more.
	desk, err := models.CreateRole(context.Background(), db, "People desk")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{outlay.ActRead, outlay.ActCreate, outlay.ActUpdate} {
		if err := models.SetPermission(context.Background(), db, models.ByOperator(), desk.Name, policy.Permission{Object: outlay.ObjUsers, Action: a}, true); err != nil {
			t.Fatal(err)
		}
	}
	// Moved to that role by her own row, Ada may still add people, but not give the admin
	// role, whose permissions she no longer holds.
	for _, dry := range []bool{true, false} {
		text := fmt.Sprintf("email,name,roles\nadmin@acme.example,Ada Admin,%s\ncy@acme.example,Cy,admin\ndi@acme.example,Di,%[1]s\n", desk.Name)
		res, err := importText(t, ctx, db, "users", text, dry)
		if !errors.Is(err, models.ErrImportRefused) || res.Refused != 1 {
			t.Fatalf("dry run %v: %+v %v; want line 3 refused", dry, res, err)
		}
		for _, r := range res.Sample {
			if r.Line == 3 && !strings.Contains(r.Errors["roles"], "you do not hold") || r.Line == 4 && r.Outcome != models.ImportCreated {
				t.Errorf("dry run %v: line %d: %s %v", dry, r.Line, r.Outcome, r.Errors)
			}
		}
	}
	for _, dry := range []bool{true, false} {
		res, err := importText(t, ctx, db, "users", "email,name,roles\nadmin@acme.example,Ada Admin,requester\ncy@acme.example,Cy,admin\n", dry)
		if !errors.Is(err, models.ErrImportRefused) || res.Refused != 1 {
			t.Fatalf("dry run %v: %+v %v; want line 3 refused", dry, res, err)
		}
		for _, r := range res.Sample {
			// Without the admin role, Ada may no longer add people at all.
			if r.Line == 3 && (r.Outcome != models.ImportRefused || !strings.Contains(r.Errors[""], "your roles do not let you add users")) {
				t.Errorf("dry run %v: line 3's refusal: %v", dry, r.Errors)
			}
		}
	}
	var roles []string
	db.Raw(`SELECT role FROM user_roles r JOIN users u ON u.id = r.user_id WHERE u.email = 'admin@acme.example'`).Scan(&roles)
	if strings.Join(roles, ",") != "admin" {
		t.Errorf("the refused import changed the admin's roles: %v", roles)
	}
}

// A row names a department, a location or a person as it is saved, whatever the letter case
// and runs of spaces, also in a database whose locale is plain C, where Postgres's lower()
// folds only ASCII letters: the import reads the names as saved and folds them itself, the
// same way on both sides, rather than comparing Postgres's folding with its own.
func TestImportFindsNamesWithAccentsInACLocaleDatabase(t *testing.T) {
	t.Parallel()
	env := dbtest.NewEnv(t)
	tn := env.NewTenantFrom(t, "acme", "Acme Corporation", dbtest.CLocaleTemplate(t))
	db := env.DB(t, tn)
	var folded string
	if err := db.Raw(`SELECT lower('ÉTUDES')`).Scan(&folded).Error; err != nil || folded != "Études" {
		t.Fatalf("lower('ÉTUDES') = %q, %v; want a database folding only ASCII (Études)", folded, err)
	}
	admin := env.CreateUser(t, tn, "admin@acme.example", "Ada Admin", "admin")
	ctx := audit.WithActor(context.Background(), audit.Actor{Type: audit.ActorUser, ID: admin.ID, Label: admin.Email})
	for kind, text := range map[string]string{
		"departments": "name,code\nÉtudes,ÉTU\n",
		"locations":   "name\nÎle de France\n",
	} {
		if _, err := importText(t, ctx, db, kind, text, false); err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
	}
	text := "email,name,roles,department,location\n" +
		"zoe@acme.example,Zoé,requester,ÉTUDES,ÎLE DE FRANCE\n" +
		"yann@acme.example,Yann,requester,études,Île  de  France\n" +
		"xavier@acme.example,Xavier,requester,étu,île de france\n"
	for _, dry := range []bool{true, false} {
		res, err := importText(t, ctx, db, "users", text, dry)
		if err != nil {
			t.Fatalf("dry run %v: %v %+v", dry, err, res.Sample)
		}
		if res.Created != 3 {
			t.Errorf("dry run %v: created %d, want 3", dry, res.Created)
		}
	}
	var got []string
	db.Raw(`SELECT u.name || ' ' || d.name || ' ' || l.name FROM users u JOIN departments d ON d.id = u.department_id
		JOIN locations l ON l.id = u.location_id ORDER BY u.name`).Scan(&got)
	want := "Xavier Études Île de France; Yann Études Île de France; Zoé Études Île de France"
	if strings.Join(got, "; ") != want {
		t.Errorf("people:\n got %q\nwant %q", got, want)
	}
}

// Where the database folds letters otherwise than the check (ICU makes a word-final Σ a ς,
// Go a σ), two new departments the check reads apart meet on the unique name as the import
// writes them. The import then stops, writes nothing, and says which name and what to do,
// rather than failing as a fault.
func TestImportSaysWhichNameTheDatabaseRefusedAsTaken(t *testing.T) {
	t.Parallel()
	env := dbtest.NewEnv(t)
	tn := env.NewTenantFrom(t, "acme", "Acme Corporation", dbtest.ICUTemplate(t))
	db := env.DB(t, tn)
	admin := env.CreateUser(t, tn, "admin@acme.example", "Ada Admin", "admin")
	ctx := audit.WithActor(context.Background(), audit.Actor{Type: audit.ActorUser, ID: admin.ID, Label: admin.Email})
	text := "name,code\nOps,OPS\nΣΑΣ,S1\nσας,S2\n"
	res, err := importText(t, ctx, db, "departments", text, true)
	if err != nil || res.Created != 3 {
		t.Fatalf("check: %+v, %v; want 3 new departments, as the check reads the names apart", res, err)
	}
	k, _ := models.FindImportKind("departments")
	data := []byte(text)
	tbl, plan, err := models.ReadImportFile(k, data, "departments.csv")
	if err != nil {
		t.Fatal(err)
	}
	m, err := models.SaveImportUpload(ctx, db, admin.ID, k, "departments.csv", data, tbl, plan)
	if err != nil {
		t.Fatal(err)
	}
	done, err := models.CommitImport(ctx, db, db, m.ID, []string{models.ImportUploaded}, models.ByPerson(admin.ID), nil, nil, true)
	if err != nil {
		t.Fatalf("commit: %v; want the refusal kept on the import, not an error", err)
	}
	if done.Status != models.ImportFailed || !strings.HasPrefix(done.Message, "Nothing was imported: line 4 gives a new department the name “σας”, which is another department's") {
		t.Errorf("import: %s %q; want failed, naming the department's name the database refused", done.Status, done.Message)
	}
	if n := count(t, db, "departments"); n != 0 {
		t.Errorf("%d departments written; want none", n)
	}
}

// A budget's row may name its department by code, as the column's help says: the budget is
// that department's, so importing the file again updates or keeps it rather than refusing
// it as a second budget of the period; and a file naming one department both ways in the
// same period has the same budget twice. So for people's and approval rules' departments.
func TestImportByDepartmentCode(t *testing.T) {
	t.Parallel()
	ctx, db, _ := importAdmin(t)
	for _, f := range [][2]string{{"gl-accounts", "code,name\n6100,Software\n"}, {"departments", "name,code\nEngineering,ENG\nOps,OPS\n"}} {
		if _, err := importText(t, ctx, db, f[0], f[1], false); err != nil {
			t.Fatalf("%s: %v", f[0], err)
		}
	}
	head := "department,gl_account,period_start,period_end,amount\n"
	for _, step := range []struct {
		name, rows                  string
		created, updated, unchanged int
	}{
		{"by code", "ENG,6100,2026-01-01,2026-12-31,1000\nOps,6100,2026-01-01,2026-12-31,500\n", 2, 0, 0},
		{"the same file", "ENG,6100,2026-01-01,2026-12-31,1000\nOps,6100,2026-01-01,2026-12-31,500\n", 0, 0, 2},
		{"by code in other case, and by name", "eng,6100,2026-01-01,2026-12-31,2000\nops,6100,2026-01-01,2026-12-31,500\n", 0, 1, 1},
		{"the code's department by name", "Engineering,6100,2026-01-01,2026-12-31,2000\n", 0, 0, 1},
	} {
		res, err := importText(t, ctx, db, "budgets", head+step.rows, false)
		if err != nil {
			t.Fatalf("%s: %v %+v", step.name, err, res.Sample)
		}
		if res.Created != step.created || res.Updated != step.updated || res.Unchanged != step.unchanged {
			t.Errorf("%s: created %d updated %d unchanged %d, want %d %d %d", step.name, res.Created, res.Updated, res.Unchanged, step.created, step.updated, step.unchanged)
		}
	}
	var amounts []int64
	db.Raw(`SELECT amount_minor FROM budgets ORDER BY amount_minor`).Scan(&amounts)
	if len(amounts) != 2 || amounts[0] != 50000 || amounts[1] != 200000 {
		t.Errorf("budgets' amounts in minor units: %v, want [50000 200000]", amounts)
	}
	// A person's department and a rule's, named by code, are unchanged when imported again.
	for kind, text := range map[string]string{
		"users":          "email,name,roles,department\nzoe@acme.example,Zoé,requester,ENG\n",
		"approval-rules": "doc_type,name,priority,department,currency,steps\nrequisition,Engineering,10,eng,USD,manager\n",
	} {
		for i, want := range []int{1, 0} {
			res, err := importText(t, ctx, db, kind, text, false)
			if err != nil || res.Created != want || res.Unchanged != 1-want {
				t.Errorf("%s, import %d: %+v, %v; want created %d, unchanged %d", kind, i+1, res, err, want, 1-want)
			}
		}
	}
	res, err := importText(t, ctx, db, "budgets", head+"ENG,6100,2027-01-01,2027-12-31,10\nEngineering,6100,2027-01-01,2027-12-31,20\n", true)
	if !errors.Is(err, models.ErrImportRefused) || refusedRow(res, 3) == nil ||
		!strings.Contains(refusedRow(res, 3).Errors["department"], "Line 2 already has this") {
		t.Errorf("one department named both ways in a period: %+v, %v; want line 3 refused as line 2's budget", res, err)
	}
}

// A row refused for what the database refused as it wrote (a unique value another writer
// took after the row's check: here an index the checks do not know) ends the import's
// transaction. The file is refused for that row, as a check and as an import, rather than
// failing on the next row's statement.
func TestImportRefusedRowTheDatabaseRefused(t *testing.T) {
	t.Parallel()
	ctx, db, _ := importAdmin(t)
	if _, err := importText(t, ctx, db, "locations", "name,address\nBerlin,Street 1\nParis,Street 2\n", false); err != nil {
		t.Fatal(err)
	}
	if err := db.Exec(`CREATE UNIQUE INDEX locations_address_test_key ON locations (address)`).Error; err != nil {
		t.Fatal(err)
	}
	for _, dry := range []bool{true, false} {
		res, err := importText(t, ctx, db, "locations", "name,address\nBerlin,Street 2\nParis,Street 3\n", dry)
		if !errors.Is(err, models.ErrImportRefused) || refusedRow(res, 2) == nil {
			t.Errorf("dry run %v: %+v, %v; want the file refused for line 2", dry, res, err)
		}
	}
	var got []string
	db.Raw(`SELECT name || ' ' || address FROM locations ORDER BY name`).Scan(&got)
	if strings.Join(got, "; ") != "Berlin Street 1; Paris Street 2" {
		t.Errorf("locations: %q; want them unchanged", got)
	}
}

// A cell that is one department's name and another's code names the department of that name.
func TestImportDepartmentNameWinsOverAnothersCode(t *testing.T) {
	t.Parallel()
	ctx, db, _ := importAdmin(t)
	if _, err := importText(t, ctx, db, "departments", "name,code\nMarketing,SALES\nSales,SLS\n", false); err != nil {
		t.Fatal(err)
	}
	if _, err := importText(t, ctx, db, "users", "email,name,roles,department\nzoe@acme.example,Zoé,requester,sales\n", false); err != nil {
		t.Fatal(err)
	}
	var dept string
	db.Raw(`SELECT d.name FROM users u JOIN departments d ON d.id = u.department_id WHERE u.email = 'zoe@acme.example'`).Scan(&dept)
	if dept != "Sales" {
		t.Errorf("department %q, want Sales (the department of that name, not Marketing, whose code it is)", dept)
	}
}

// An import run as a job waits for the locks it needs for as long as others hold them (as it
// waits for another import holding the access lock), where a request gives up after the
// connections' lock wait and is answered "try again".
func TestAnImportJobWaitsForTheLocksItNeeds(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	env.Pools.LockWait = 100 * time.Millisecond
	env.Pools.Evict(acme.Slug)
	db := env.DB(t, acme)
	ctx := context.Background()
	k, _ := models.FindImportKind("vendors")
	tbl, err := sheet.Read(strings.NewReader("name,payment_terms,currency\nAcme,30,USD\nBeta,15,USD\n"), "vendors.csv", sheet.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	tx, _ := dbtest.HoldLock(t, acme.DSN, "vendors")
	run := func(wait bool) error {
		_, err := models.RunImport(ctx, db, k, tbl.Rows, tbl.Lines, k.DetectPlan(tbl.Rows), models.ImportOptions{Grantor: models.ByOperator(), WaitForLocks: wait})
		return err
	}
	if err := run(false); !tenancy.Unavailable(err) {
		t.Fatalf("an import in a request, the table locked: %v, want unavailable", err)
	}
	done := make(chan error, 1)
	go func() { done <- run(true) }()
	// The job is found waiting on the lock well past the lock wait a request gives up after.
	poll.Until(t, "the import job waiting on the lock past the lock wait", 30*time.Second, func() error {
		select {
		case err := <-done:
			t.Fatalf("the import job ended with the table locked: %v", err)
		default:
		}
		var waiting bool
		if err := db.Raw(`SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database()
			AND wait_event_type = 'Lock' AND now() - query_start > interval '300 milliseconds')`).Scan(&waiting).Error; err != nil {
			return err
		}
		if !waiting {
			return errors.New("not waiting yet")
		}
		return nil
	})
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil || count(t, db, "vendors") != 2 {
			t.Fatalf("an import job, once the lock was let go: %v, %d vendors", err, count(t, db, "vendors"))
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the import job did not finish once the lock was let go")
	}
}

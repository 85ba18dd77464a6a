package handlers_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"outlay/internal/dbtest"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"outlay"
	"outlay/config"
	"outlay/internal/testutil"
	"outlay/models"
	"outlay/policy"
	"outlay/sheet"
)

func importAsAdmin(t *testing.T) (*testutil.App, *testutil.Client, *testutil.Env) {
	return importAsAdminWith(t, nil)
}

// importAsAdminWith is importAsAdmin with the configuration changed by set (when not nil)
// before the app starts.
func importAsAdminWith(t *testing.T, set func(*config.Config)) (*testutil.App, *testutil.Client, *testutil.Env) {
	env, acme := testutil.NewTenant(t)
	if set != nil {
		set(env.Config)
	}
	app := testutil.NewApp(t, env)
	env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	c := app.Client(t, "acme")
	c.SignIn("ana@acme.example", testutil.Password)
	c.Get("/admin/import")
	return app, c, env
}

// importResult reads an import's result counts: "Rows 2, Created 2, ...".
func importResult(res *testutil.Response) string {
	var parts []string
	res.Doc.Find("#import-result li").Each(func(_ int, li *goquerySelection) {
		parts = append(parts, strings.Join(strings.Fields(li.Text()), " "))
	})
	return strings.Join(parts, ", ")
}

func uploadImport(c *testutil.Client, kind, filename string, body []byte) *testutil.Response {
	return c.UploadWith("/admin/import", url.Values{"kind": {kind}}, "file", filename, "application/octet-stream", body)
}

// An admin uploads a file, reads every row's problems beside it in the preview, corrects
// the column mapping there, imports, and reads the counts.
func TestImportPreviewMappingAndCommit(t *testing.T) {
	t.Parallel()
	_, c, _ := importAsAdmin(t)
	// Windows-1252, semicolons, a header the kind does not know ("Lieferant").
	file := []byte("Lieferant;Payment terms (days);Currency\nM\xfcller GmbH;30;EUR\nAcme;soon;USD\n")
	res := uploadImport(c, "vendors", "vendors.csv", file)
	if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location(), "/admin/import/") {
		t.Fatalf("upload: %d %q %s", res.Status, res.Location(), res.Text(".field-error"))
	}
	item := res.Location()
	page := c.Get(item)
	if info := page.Text(".page-header p"); !strings.Contains(info, "Windows-1252, semicolon-separated") || !strings.Contains(info, "2 rows") {
		t.Errorf("file info: %q", info)
	}
	// Without a name column nothing can be checked: the preview says so.
	if msg := page.Text("#mapping-error"); !strings.Contains(msg, "“Name”") {
		t.Fatalf("mapping error: %q", msg)
	}
	c.Header.Set("HX-Request", "true")
	c.Header.Set("HX-Target", "import-preview")
	res = c.Post(item+"/mapping", url.Values{"col_0": {"name"}, "col_1": {"payment_terms"}, "col_2": {"currency"}})
	c.Header.Del("HX-Request")
	c.Header.Del("HX-Target")
	if res.Status != http.StatusOK || res.Doc.Find("#import-preview").Length() != 1 || res.Doc.Find(".page-header").Length() != 0 {
		t.Fatalf("mapping answer: %d %s", res.Status, res.Body)
	}
	bad := res.Doc.Find(`tr[data-line="3"]`)
	if !strings.Contains(bad.Find(".field-error").Text(), "whole number of days") {
		t.Fatalf("row 3's problem: %q", bad.Text())
	}
	if res.Doc.Find("#commit-button").Length() != 0 || !strings.Contains(res.Text("#commit-refused"), "1 row has problems") {
		t.Fatalf("a file with a refused row may be imported: %s", res.Text("#import-preview"))
	}
	// The mapping was kept: the page shows it, and a good file imports.
	if v, _ := c.Get(item).Doc.Find("#map-0 option[selected]").Attr("value"); v != "name" {
		t.Errorf("mapping kept: %q", v)
	}
	res = uploadImport(c, "vendors", "good.csv", []byte("Name,Payment terms (days),Currency\nAcme,30,USD\nBeta,15,EUR\n"))
	item = res.Location()
	page = c.Get(item)
	if got := page.Text("#commit-button"); got != "Import 2 rows" {
		t.Fatalf("commit button %q; preview %s", got, page.Text("#import-preview"))
	}
	res = c.Post(item+"/commit", url.Values{})
	if res.Status != http.StatusSeeOther || res.Location() != item {
		t.Fatalf("commit: %d %q", res.Status, res.Location())
	}
	result := c.Get(item)
	if got := importResult(result); got != "Rows 2, Created 2, Updated 0, Unchanged 0" {
		t.Fatalf("result: %q", got)
	}
	// Again: nothing to change.
	res = uploadImport(c, "vendors", "again.csv", []byte("name,payment_terms,currency\nAcme,30,USD\nBeta,20,EUR\n"))
	c.Post(res.Location()+"/commit", url.Values{})
	if got := importResult(c.Get(res.Location())); got != "Rows 2, Created 0, Updated 1, Unchanged 1" {
		t.Fatalf("second result: %q", got)
	}
}

// A check that runs out of time (thousands of people, each checked as the form does, take
// longer than a page should) shows the rows it checked and says the import checks the rest;
// the import does, and refuses a bad row the check never reached.
func TestImportCheckOutOfTimeSaysSoAndTheImportChecksTheRest(t *testing.T) {
	t.Parallel()
	// No time at all: the check stops after the first row.
	_, c, env := importAsAdminWith(t, func(cfg *config.Config) { cfg.ImportCheckTime = time.Nanosecond })
	acme, _ := env.Registry.Lookup("acme")
	file := []byte("Email,Name,Roles\nbo@acme.example,Bo,requester\ncy@acme.example,Cy,requester\nnot-an-email,Di,requester\n")
	item := uploadImport(c, "users", "people.csv", file).Location()
	page := c.Get(item)
	if msg := page.Text("#import-unchecked"); !strings.Contains(msg, "with 1 of 3 rows checked") || !strings.Contains(msg, "Importing checks every row again") {
		t.Fatalf("the check's stop: %q (%s)", msg, page.Text("#import-preview"))
	}
	if got := strings.Join(strings.Fields(page.Text("#import-counts")), " "); !strings.Contains(got, "Rows 3") || !strings.Contains(got, "To create 1") ||
		!strings.Contains(got, "With problems 0") || !strings.Contains(got, "Not checked yet 2") {
		t.Errorf("counts: %q", got)
	}
	if msg := page.Text("#commit-title + form p"); !strings.Contains(msg, "Every row checked so far passed. Importing checks all 3 rows") {
		t.Errorf("the import's words: %q", msg)
	}
	// Rows not checked may invite more people than the one checked: the note gives no count.
	if msg := page.Text("#import-invited"); !strings.Contains(msg, "The new people will be invited") && !strings.Contains(msg, "Each new person will be sent") {
		t.Errorf("the invitations' note: %q", msg)
	}
	res := c.Post(item+"/commit", url.Values{})
	if res.Status != http.StatusSeeOther || res.Location() != item {
		t.Fatalf("commit: %d %q", res.Status, res.Location())
	}
	result := c.Get(item)
	if bad := result.Doc.Find(`tr[data-line="4"]`); !strings.Contains(bad.Find(".field-error").Text(), "email address") {
		t.Errorf("the row the check never reached is not refused: %s", result.Text("main"))
	}
	var n int64
	if err := env.DB(t, acme).Raw(`SELECT count(*) FROM users WHERE email IN ('bo@acme.example', 'cy@acme.example')`).Scan(&n).Error; err != nil || n != 0 {
		t.Errorf("a refused import wrote %d people (%v)", n, err)
	}
	// With time enough, the same file's check reaches every row.
	_, c2, _ := importAsAdmin(t)
	page = c2.Get(uploadImport(c2, "users", "people.csv", file).Location())
	if page.Doc.Find("#import-unchecked").Length() != 0 || !strings.Contains(page.Text("#commit-refused"), "1 row has problems") {
		t.Errorf("a whole check: %s", page.Text("#import-preview"))
	}
}

// A file that is not what it claims is refused beside the upload form, with what is wrong.
func TestImportRefusesBadFiles(t *testing.T) {
	t.Parallel()
	_, c, env := importAsAdmin(t)
	acme, _ := env.Registry.Lookup("acme")
	garbage := make([]byte, 1<<20)
	for i := range garbage {
		garbage[i] = byte(i*7919 + i/13)
	}
	cases := []struct {
		name, filename string
		data           []byte
		words          string
	}{
		{"empty", "v.csv", nil, "This file is empty."},
		{"blank", "v.csv", []byte("\n\n"), "This file is empty."},
		{"header only", "v.csv", []byte("name,payment_terms\n"), "a header row but no rows"},
		{"binary", "v.csv", garbage, "binary data"},
		{"50 MB", "v.csv", make([]byte, 50<<20), "larger than 20 MB"},
		{"text named xlsx", "v.xlsx", []byte("name\nAcme\n"), "not an Excel workbook"},
		{"utf-16 without bom", "v.csv", []byte("n\x00a\x00m\x00e\x00\n\x00A\x00c\x00m\x00e\x00\n\x00"), "UTF-16"},
		{"pdf", "v.pdf", []byte("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\x00"), "not a CSV or Excel"},
		{"no header", "v.csv", []byte("Foo,Bar\nAcme,30\n"), "no header row: its first row names none of the columns we expect"},
		{"unclosed quote", "v.csv", []byte("Name,Payment terms (days)\n\"Acme,30\nBeta,15\n"), "Line 2 has a value that opens a double quote"},
		{"cell at XFD", "v.xlsx", strayCellWorkbook(t), "Row 12 has a value in column XFD; an import sheet has at most 256 columns. Delete the stray cells to the right of your data."},
	}
	for _, tc := range cases {
		res := uploadImport(c, "vendors", tc.filename, tc.data)
		if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Text("#file-error"), tc.words) {
			t.Errorf("%s: %d %q, want 422 with %q", tc.name, res.Status, res.Text("#file-error"), tc.words)
		}
	}
	var n int
	env.DB(t, acme).Raw(`SELECT count(*) FROM imports`).Scan(&n)
	if n != 0 {
		t.Errorf("%d refused files kept", n)
	}
}

// strayCellWorkbook is a vendors workbook with a stray value at XFD12, the last column.
func strayCellWorkbook(t *testing.T) []byte {
	t.Helper()
	f := excelize.NewFile()
	f.SetSheetRow("Sheet1", "A1", &[]any{"Name", "Payment terms (days)"})
	f.SetSheetRow("Sheet1", "A2", &[]any{"Acme", 30})
	f.SetCellValue("Sheet1", "XFD12", 1)
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Templates download as CSV and XLSX, and read back as the kind's columns.
func TestImportTemplates(t *testing.T) {
	t.Parallel()
	_, c, _ := importAsAdmin(t)
	for _, k := range models.ImportKinds() {
		for _, ext := range []string{"csv", "xlsx"} {
			res := c.Get("/admin/import/templates/" + k.Name + "." + ext)
			if res.Status != http.StatusOK {
				t.Fatalf("%s.%s: %d", k.Name, ext, res.Status)
			}
			tbl, err := sheet.Read(strings.NewReader(res.Body), k.Name+"."+ext, sheet.DefaultLimits)
			if err != nil {
				t.Fatalf("%s.%s: %v", k.Name, ext, err)
			}
			plan := k.DetectPlan(tbl.Rows)
			if plan.HeaderRow != 0 || k.CheckPlan(plan) != nil || len(tbl.Rows) != 2 {
				t.Errorf("%s.%s reads as %+v (%v)", k.Name, ext, plan, k.CheckPlan(plan))
			}
		}
	}
	if res := c.Get("/admin/import/templates/planets.csv"); res.Status != http.StatusNotFound {
		t.Errorf("unknown kind: %d", res.Status)
	}
}

// A file over a thousand rows is imported by a job; its page shows the progress fragment
// until the job is done, then the result.
func TestImportLargeFileRunsAsJob(t *testing.T) {
	t.Parallel()
	app, c, _ := importAsAdmin(t)
	var b strings.Builder
	b.WriteString("name,payment_terms,currency\n")
	for i := range 1500 {
		fmt.Fprintf(&b, "Vendor %04d,30,USD\n", i)
	}
	item := uploadImport(c, "vendors", "many.csv", []byte(b.String())).Location()
	if !strings.Contains(c.Get(item).Text("#import-preview"), "imported in the background") {
		t.Fatal("the preview does not say the import runs in the background")
	}
	c.Post(item+"/commit", url.Values{})
	page := c.Get(item)
	if page.Doc.Find("#import-progress").Length() != 1 {
		t.Fatalf("no progress panel: %s", page.Body)
	}
	app.WaitJobs(t)
	frag := c.Get(item + "/progress")
	if frag.Doc.Find("progress").Length() != 0 || !strings.Contains(importResult(frag), "Created 1,500") {
		t.Fatalf("progress after the job: %s", frag.Body)
	}
}

// An upload not imported within the uploads' lifetime (24 hours) says on its page that it
// expired and to upload the file again, with the upload form; it can no longer be committed;
// and once the expiry job has deleted it, its page still says so. A number never handed out
// is not found.
func TestExpiredImportUploadSaysSo(t *testing.T) {
	t.Parallel()
	_, c, env := importAsAdmin(t)
	acme, _ := env.Registry.Lookup("acme")
	item := uploadImport(c, "vendors", "vendors.csv", []byte("Name,Payment terms (days),Currency\nAcme Expired,30,USD\n")).Location()
	if page := c.Get(item); page.Status != http.StatusOK || page.Doc.Find("#commit-button").Length() != 1 {
		t.Fatalf("a fresh upload: %d %s", page.Status, page.Text("main"))
	}
	db := env.DB(t, acme)
	// A day and a minute later: the upload is moved back in time as far as the clock would go on.
	if err := db.Exec(`UPDATE imports SET created_at = created_at - interval '24 hours 1 minute'`).Error; err != nil {
		t.Fatal(err)
	}
	expired := func(what, want string) {
		t.Helper()
		page := c.Get(item)
		msg := page.Text(".flash-error")
		if page.Status != http.StatusGone || !strings.Contains(msg, want) || !strings.Contains(msg, "not imported within 24 hours is deleted. Upload the file again.") ||
			page.Doc.Find("#import-file").Length() != 1 || page.Doc.Find("#commit-button").Length() != 0 {
			t.Errorf("%s: %d %q", what, page.Status, msg)
		}
	}
	expired("past its time", "The upload of “vendors.csv” expired")
	if res := c.Post(item+"/commit", url.Values{}); res.Status != http.StatusSeeOther || res.Location() != item {
		t.Errorf("commit of an expired upload: %d %q", res.Status, res.Location())
	}
	var vendors int64
	if err := db.Raw(`SELECT count(*) FROM vendors WHERE name = 'Acme Expired'`).Scan(&vendors).Error; err != nil || vendors != 0 {
		t.Errorf("the expired upload was imported: %d vendors (%v)", vendors, err)
	}
	if n, err := models.ExpireImportUploads(context.Background(), db, time.Now().Add(-24*time.Hour)); err != nil || n != 1 {
		t.Fatalf("expired uploads deleted: %d %v", n, err)
	}
	expired("deleted", "This upload expired")
	if res := c.Get("/admin/import/999999"); res.Status != http.StatusNotFound {
		t.Errorf("an import never made: %d", res.Status)
	}
}

// A row with more values than the header names is shown with its problem in the preview, and
// the file cannot be imported.
func TestImportPreviewShowsRowLongerThanHeader(t *testing.T) {
	t.Parallel()
	_, c, _ := importAsAdmin(t)
	item := uploadImport(c, "locations", "locations.csv", []byte("Name,Address\nAcme, Inc X,1 Main St\nBeta,2 Road\n")).Location()
	page := c.Get(item)
	msg := page.Doc.Find(`tr[data-line="2"] .field-error`).Text()
	if !strings.Contains(msg, "This row has 3 values but the header names 2 columns") || !strings.Contains(msg, "comma") {
		t.Errorf("line 2's problem: %q", msg)
	}
	if page.Doc.Find("#commit-button").Length() != 0 || !strings.Contains(page.Text("#commit-refused"), "1 row has problems") {
		t.Errorf("a file with a row longer than its header may be imported: %s", page.Text("#import-preview"))
	}
}

// An import whose commit finds rows with problems writes nothing, and its result says so
// without claiming any row was created or updated.
func TestImportRefusedResultClaimsNothingWritten(t *testing.T) {
	t.Parallel()
	_, c, env := importAsAdmin(t)
	item := uploadImport(c, "locations", "locations.csv", []byte("Name,Address\nBerlin,Mitte\nParis,Marais\n,Nowhere\n")).Location()
	// The preview counts what the file would do, not what it did.
	if counts := c.Get(item).Text("#import-counts"); strings.Contains(counts, "Created") {
		t.Errorf("preview counts: %q", counts)
	}
	// The commit checks every row again, whatever the preview showed.
	if res := c.Post(item+"/commit", url.Values{}); res.Status != http.StatusSeeOther {
		t.Fatalf("commit: %d", res.Status)
	}
	page := c.Get(item)
	result := importResult(page)
	if strings.Contains(result, "Created") || strings.Contains(result, "Updated") || strings.Contains(result, "Unchanged") ||
		!strings.Contains(result, "With problems 1") || !strings.Contains(result, "Would have been created 2") {
		t.Errorf("refused result: %q", result)
	}
	if !strings.Contains(page.Text("#import-progress"), "Nothing was written") {
		t.Errorf("refused result does not say nothing was written: %q", page.Text("#import-progress"))
	}
	acme, _ := env.Registry.Lookup("acme")
	var n int
	env.DB(t, acme).Raw(`SELECT count(*) FROM locations`).Scan(&n)
	if n != 0 {
		t.Errorf("%d locations written by a refused import", n)
	}
	// The list of imports does not count it as created either.
	list := c.Get("/admin/import")
	var cells []string
	list.Doc.Find(`section[aria-labelledby="recent-title"] tbody tr`).First().Find("td.num").Each(func(_ int, td *goquerySelection) {
		cells = append(cells, strings.TrimSpace(td.Text()))
	})
	if strings.Join(cells, " ") != "3 — — —" {
		t.Errorf("latest imports row's rows, created, updated, unchanged: %q", cells)
	}
}

// A people import that gives an invited person more access than their set-password link was
// made for spends that link, as editing their roles by hand does, and sends them a new
// invitation through the same path: the preview says it will, the result says it did, and
// the invitation arrives with a link that works where the old one no longer does. A row
// that gives an invitee nothing new leaves their link alone.
func TestImportGivingAnInviteeMoreAccessSendsANewInvitation(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.Config.SMTPURL = "smtp://mail.acme.example:587" // the server has a mail server; the test's mailer keeps what it sends
	app := testutil.NewApp(t, env)
	ana := env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	c := app.Client(t, "acme")
	c.SignIn("ana@acme.example", testutil.Password)
	c.Get("/admin/users")
	db := env.DB(t, acme)
	ctx := context.Background()
	invite := func(email, name string) string {
		t.Helper()
		before := len(app.Mail.Sent())
		if res := c.Post("/admin/users", url.Values{"email": {email}, "name": {name}, "roles": {"requester"}}); res.Status != http.StatusSeeOther {
			t.Fatalf("inviting %s: %d %s", name, res.Status, res.Text(".field-error"))
		}
		sent := app.WaitMail(t, before+1)
		link := inviteLink.FindStringSubmatch(sent[len(sent)-1].Body)
		if link == nil {
			t.Fatalf("no link in %s's invitation: %s", name, sent[len(sent)-1].Body)
		}
		return link[1]
	}
	ivysLink, raesLink := invite("ivy@acme.example", "Ivy Invitee"), invite("rae@acme.example", "Rae Recruit")
	app.WaitJobs(t)
	mailed := len(app.Mail.Sent())

	c.Get("/admin/import")
	file := "Email,Name,Roles\nivy@acme.example,Ivy Invitee,\"requester, approver\"\nrae@acme.example,Rae R. Recruit,requester\n"
	item := uploadImport(c, "users", "people.csv", []byte(file)).Location()
	preview := c.Get(item)
	if got := strings.Join(strings.Fields(preview.Text(`#import-reinvited li[data-line="2"]`)), " "); got != "Ivy Invitee (ivy@acme.example), line 2: a new invitation will be sent to them." {
		t.Errorf("the preview says of Ivy %q", got)
	}
	if n := preview.Doc.Find("#import-reinvited li").Length(); n != 1 {
		t.Errorf("the preview names %d people, want Ivy alone", n)
	}
	if res := c.Post(item+"/commit", url.Values{}); res.Status != http.StatusSeeOther {
		t.Fatalf("commit: %d", res.Status)
	}
	result := c.Get(item)
	if got := importResult(result); got != "Rows 2, Created 0, Updated 2, Unchanged 0" {
		t.Errorf("result: %q", got)
	}
	intro := result.Text("#import-reinvited p")
	ivy := strings.Join(strings.Fields(result.Text(`#import-reinvited li[data-line="2"]`)), " ")
	if !strings.Contains(intro, "more access than their set-password links were made for, so those links no longer work") ||
		ivy != "Ivy Invitee (ivy@acme.example), line 2: a new invitation was sent to them. Its link works for 72 hours." ||
		result.Doc.Find("#import-reinvited li").Length() != 1 {
		t.Errorf("the result says %q / %q", intro, ivy)
	}

	// The preview sent nothing; the import sent Ivy, and only her, a new invitation from Ana.
	app.WaitJobs(t)
	sent := app.Mail.Sent()[mailed:]
	if len(sent) != 1 || sent[0].To != "ivy@acme.example" || !strings.Contains(sent[0].Body, "Ana Admin has invited you") {
		t.Fatalf("mail after the import: %+v, want one invitation to Ivy", sent)
	}
	newLink := inviteLink.FindStringSubmatch(sent[0].Body)
	if newLink == nil || newLink[1] == ivysLink {
		t.Fatalf("Ivy's new invitation carries no new link: %s", sent[0].Body)
	}
	d := app.Client(t, "acme")
	if res := d.Get(ivysLink); res.Status != http.StatusNotFound {
		t.Errorf("Ivy's old link after the import: %d, want 404", res.Status)
	}
	if res := d.Get(newLink[1]); res.Status != http.StatusOK || res.Text("h1") != "Choose your password" {
		t.Errorf("Ivy's new link: %d %q", res.Status, res.Text("h1"))
	}
	if res := d.Get(raesLink); res.Status != http.StatusOK {
		t.Errorf("Rae's link after a row that gave her nothing new: %d", res.Status)
	}
	var resent []struct{ ActorLabel, RequestID string }
	db.WithContext(ctx).Raw(`SELECT actor_label, request_id FROM audit_log WHERE event = ?`, models.EventInvitationResent).Scan(&resent)
	if len(resent) != 1 || resent[0].ActorLabel != ana.Email || !strings.HasPrefix(resent[0].RequestID, "import-") {
		t.Errorf("recorded new invitations: %+v", resent)
	}
}

// New people in a people file are invited and sent their invitations when it is imported,
// as when invited by hand; the preview says so and sends nothing.
func TestImportSendsNewPeopleTheirInvitations(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.Config.SMTPURL = "smtp://mail.acme.example:587" // the server has a mail server; the test's mailer keeps what it sends
	app := testutil.NewApp(t, env)
	env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	c := app.Client(t, "acme")
	c.SignIn("ana@acme.example", testutil.Password)
	c.Get("/admin/import")
	app.WaitJobs(t)
	mailed := len(app.Mail.Sent())

	file := "Email,Name,Roles\nana@acme.example,Ana Admin,admin\nnia@acme.example,Nia New,requester\nomar@acme.example,Omar Other,\"requester, approver\"\n"
	item := uploadImport(c, "users", "people.csv", []byte(file)).Location()
	preview := c.Get(item)
	if got := preview.Text("#import-invited"); got != "Each of the 2 new people will be sent an invitation to set a password. Its link works for 72 hours." {
		t.Errorf("the preview says %q", got)
	}
	app.WaitJobs(t)
	if n := len(app.Mail.Sent()) - mailed; n != 0 {
		t.Fatalf("the preview sent %d mails", n)
	}
	if res := c.Post(item+"/commit", url.Values{}); res.Status != http.StatusSeeOther {
		t.Fatalf("commit: %d", res.Status)
	}
	result := c.Get(item)
	if got := importResult(result); got != "Rows 3, Created 2, Updated 0, Unchanged 1" {
		t.Errorf("result: %q", got)
	}
	if got := result.Text("#import-invited"); got != "Each of the 2 new people was sent an invitation to set a password. Its link works for 72 hours." {
		t.Errorf("the result says %q", got)
	}
	app.WaitJobs(t)
	sent := app.Mail.Sent()[mailed:]
	to := map[string]string{}
	for _, m := range sent {
		to[m.To] = m.Body
	}
	if len(sent) != 2 || to["nia@acme.example"] == "" || to["omar@acme.example"] == "" {
		t.Fatalf("mail after the import: %+v, want an invitation each to Nia and Omar", sent)
	}
	for who, body := range to {
		link := inviteLink.FindStringSubmatch(body)
		if link == nil || !strings.Contains(body, "Ana Admin has invited you") {
			t.Fatalf("%s's invitation: %s", who, body)
		}
		if res := app.Client(t, "acme").Get(link[1]); res.Status != http.StatusOK || res.Text("h1") != "Choose your password" {
			t.Errorf("%s's link: %d %q", who, res.Status, res.Text("h1"))
		}
	}
}

// Without a mail server, the import says the new people's invitations reach no one, and where
// to get the links to pass on.
func TestImportWithoutAMailServerSaysWhereTheInvitationsAre(t *testing.T) {
	t.Parallel()
	_, c, _ := importAsAdmin(t)
	item := uploadImport(c, "users", "people.csv", []byte("Email,Name,Roles\nnia@acme.example,Nia New,requester\n")).Location()
	if got := c.Get(item).Text("#import-invited"); !strings.HasPrefix(got, "The new person will be invited, but this server has no mail server set up yet") ||
		!strings.Contains(got, "Resend each invitation from the person's page") {
		t.Errorf("the preview says %q", got)
	}
	c.Post(item+"/commit", url.Values{})
	if got := c.Get(item).Text("#import-invited"); !strings.HasPrefix(got, "The new person was invited, but this server has no mail server") {
		t.Errorf("the result says %q", got)
	}
}

// The import permission opens the page; each kind asks for its own pages' permissions as
// well: adding a record its create, changing one its update. A clerk who may import and add
// vendors, and nothing else, is offered vendors alone; a file that would change a vendor, turn
// an approval rule off or invite someone is refused, row by row, before anything is written.
func TestImportNeedsTheKindsOwnPermission(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	app := testutil.NewApp(t, env)
	ctx, db := context.Background(), env.DB(t, acme)
	env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	if err := db.Create(&models.Vendor{Name: "Contoso Hardware", Email: "ap@contoso.example", Currency: "USD", Status: models.VendorActive}).Error; err != nil {
		t.Fatal(err)
	}
	r, err := models.CreateRole(ctx, db, "Data entry")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []policy.Permission{{Object: outlay.ObjImport, Action: outlay.ActImport}, {Object: outlay.ObjVendors, Action: outlay.ActRead},
		{Object: outlay.ObjVendors, Action: outlay.ActCreate}} {
		if err := models.SetPermission(ctx, db, models.ByOperator(), r.Name, p, true); err != nil {
			t.Fatal(err)
		}
	}
	env.CreateUser(t, acme, "dee@acme.example", "Dee Entry", r.Name)
	c := app.Client(t, "acme")
	c.SignIn("dee@acme.example", testutil.Password)
	page := c.Get("/admin/import")
	var kinds []string
	page.Doc.Find("#import-kind option").Each(func(_ int, o *goquerySelection) { kinds = append(kinds, o.AttrOr("value", "")) })
	if strings.Join(kinds, ",") != "vendors" {
		t.Fatalf("kinds offered: %v", kinds)
	}

	// Kinds beyond the person's permissions are refused at upload.
	for kind, file := range map[string]string{
		"approval-rules": "doc_type,name,position,active\nrequisition,Everything,10,no\n",
		"users":          "email,name,roles\nbackdoor@evil.example,Back Door,auditor\n",
		"departments":    "name\nShadow\n",
	} {
		res := uploadImport(c, kind, kind+".csv", []byte(file))
		if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Text("#kind-error"), "Your roles do not let you add or change") {
			t.Errorf("%s upload: %d %q", kind, res.Status, res.Text("#kind-error"))
		}
	}

	// A new vendor may be added; changing one that exists is refused beside its row.
	res := uploadImport(c, "vendors", "vendors.csv", []byte("Name,Email,Payment terms (days),Currency\nNew Supplier,sales@new.example,30,USD\nContoso Hardware,attacker@evil.example,30,USD\n"))
	if res.Status != http.StatusSeeOther {
		t.Fatalf("vendors upload: %d %s", res.Status, res.Text(".field-error"))
	}
	item := res.Location()
	preview := c.Get(item)
	if got := preview.Text(`tr[data-line="3"]`); !strings.Contains(got, "your roles do not let you change vendors") {
		t.Errorf("row 3 (a change): %q\n%s", got, preview.Text("#import-preview"))
	}
	if got := preview.Text(`tr[data-line="2"]`); strings.Contains(got, "your roles") {
		t.Errorf("row 2 (a new vendor) refused: %q", got)
	}
	if preview.Doc.Find("#commit-button").Length() != 0 {
		t.Fatal("a file with a refused row may be imported")
	}
	c.Post(item+"/commit", url.Values{})
	var v models.Vendor
	if err := db.Where("name = ?", "Contoso Hardware").First(&v).Error; err != nil || v.Email != "ap@contoso.example" {
		t.Errorf("the vendor's email became %q (%v)", v.Email, err)
	}
	var n int64
	db.Model(&models.Vendor{}).Where("name = ?", "New Supplier").Count(&n)
	if n != 0 {
		t.Error("a refused file wrote its good row")
	}

	// A file of new vendors alone imports.
	res = uploadImport(c, "vendors", "new.csv", []byte("Name,Email,Payment terms (days),Currency\nNew Supplier,sales@new.example,30,USD\n"))
	c.Post(res.Location()+"/commit", url.Values{})
	if got := importResult(c.Get(res.Location())); got != "Rows 1, Created 1, Updated 0, Unchanged 0" {
		t.Errorf("new vendors: %q", got)
	}
}

// Each list's own export, uploaded unchanged as that kind's import, changes nothing: its
// columns carry the values the import reads under the import's headers, and the columns the
// import must not read (names shown for people, a record's archive flag) have headers it
// does not know. Before, a vendor on hold came back active, and budgets, departments and
// expense categories were refused row by row; and a budget exported as XLSX was refused for
// its dates, written as a date and time ("2026-01-01 00:00").
func TestListExportsImportUnchanged(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	app := testutil.NewApp(t, env)
	env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	c := app.Client(t, "acme")
	c.SignIn("ana@acme.example", testutil.Password)
	db := env.DB(t, acme)
	grace := env.CreateUser(t, acme, "grace@acme.example", "Grace Head", "approver")
	env.CreateUser(t, acme, "cleo@acme.example", "Cleo Clerk", "ap_clerk", "approver") // the export gives roles by label: "AP clerk"
	gl := models.GLAccount{Code: "6100", Name: "Software"}
	must(t, db.Create(&gl).Error)
	dept := models.Department{Name: "Engineering", Code: "ENG", HeadID: &grace.ID, DefaultGLAccountID: &gl.ID}
	must(t, db.Create(&dept).Error)
	// An address typed in a browser's text area keeps CRLF line breaks; a contact may start
	// with an apostrophe before an equals sign.
	for _, v := range []models.Vendor{{Name: "Held Ltd", Currency: "USD", Status: models.VendorOnHold, PaymentTermsDays: 30, ContactName: "'=Lee", Phone: "+41 44 123 45 67"},
		{Name: "Open Co", Currency: "USD", Status: models.VendorActive, PaymentTermsDays: 15, Address: "1 Main St\r\nSpringfield"}} {
		must(t, db.Create(&v).Error)
	}
	year := time.Now().Year()
	must(t, db.Create(&models.Budget{DepartmentID: dept.ID, GLAccountID: gl.ID, PeriodStart: time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC),
		PeriodEnd: time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC), Currency: "USD", AmountMinor: 5000000}).Error)
	limit, per := int64(7500), models.LimitPerDay
	must(t, db.Create(&models.ExpenseCategory{Name: "Meals", GLAccountID: gl.ID, LimitMinor: &limit, LimitPer: &per, Currency: "USD"}).Error)
	for _, format := range []string{"csv", "xlsx"} {
		for _, k := range []struct{ kind, list string }{
			{"vendors", "/vendors"}, {"departments", "/admin/departments"}, {"budgets", "/admin/budgets"},
			{"gl-accounts", "/admin/gl-accounts"}, {"expense-categories", "/admin/expense-categories"}, {"users", "/admin/users"},
		} {
			file := c.Get(k.list + "/export?format=" + format)
			if file.Status != http.StatusOK {
				t.Fatalf("%s export: %d", k.list, file.Status)
			}
			c.Get("/admin/import")
			res := uploadImport(c, k.kind, k.kind+"."+format, []byte(file.Body))
			if res.Status != http.StatusSeeOther {
				t.Fatalf("%s %s upload: %d %s", k.kind, format, res.Status, res.Text(".field-error"))
			}
			page := c.Get(res.Location())
			if refused := page.Text("#commit-refused, #mapping-error, .field-error"); refused != "" {
				t.Errorf("%s %s: its own export is refused: %q", k.kind, format, refused)
				continue
			}
			c.Post(res.Location()+"/commit", url.Values{})
			if got := importResult(c.Get(res.Location())); !strings.Contains(got, "Created 0, Updated 0") {
				t.Errorf("%s %s: its own export changed records: %q", k.kind, format, got)
			}
		}
	}
	var held string
	db.Raw(`SELECT status FROM vendors WHERE name = 'Held Ltd'`).Scan(&held)
	if held != models.VendorOnHold {
		t.Errorf("the vendor on hold is %q after its list was imported again", held)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// A workbook of several sheets is read at the one open when it was saved, and the check page
// names it.
func TestImportNamesTheSheetItRead(t *testing.T) {
	t.Parallel()
	_, c, _ := importAsAdmin(t)
	f := excelize.NewFile()
	defer f.Close()
	for _, row := range []struct {
		sheet, cell string
		values      []any
	}{
		{"Sheet1", "A1", []any{"Notes"}}, {"Vendors", "A1", []any{"name", "payment_terms", "currency"}}, {"Vendors", "A2", []any{"Acme", 30, "USD"}},
	} {
		if idx, _ := f.GetSheetIndex(row.sheet); idx < 0 {
			if _, err := f.NewSheet(row.sheet); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.SetSheetRow(row.sheet, row.cell, &row.values); err != nil {
			t.Fatal(err)
		}
	}
	f.SetActiveSheet(1)
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	res := uploadImport(c, "vendors", "vendors.xlsx", buf.Bytes())
	page := c.Get(res.Location())
	if info := page.Text(".page-header p"); !strings.Contains(info, "the sheet “Vendors”, of 2") || !strings.Contains(info, "1 row") {
		t.Errorf("file info %q; want the sheet read named", info)
	}
}

// An import committed in the request gives up on a lock held elsewhere after the lock wait,
// as every request does, and is answered "try again"; the admin may press Import again, and
// once the lock is let go it imports.
func TestImportInARequestGivesUpOnALockAndMayBeRunAgain(t *testing.T) {
	t.Parallel()
	app, c, env := importAsAdmin(t)
	acme, _ := env.Registry.Lookup("acme")
	env.Pools.LockWait = 200 * time.Millisecond
	env.Pools.Evict(acme.Slug)
	res := uploadImport(c, "vendors", "vendors.csv", []byte("name,payment_terms,currency\nAcme,30,USD\n"))
	item := res.Location()
	c.Get(item)
	tx, _ := dbtest.HoldLock(t, acme.DSN, "vendors")
	if res := c.Post(item+"/commit", url.Values{}); res.Status != http.StatusServiceUnavailable {
		t.Fatalf("commit with the vendors locked: %d %s", res.Status, res.Text("main"))
	}
	tx.Rollback(context.Background())
	page := c.Get(item)
	if got := page.Text("#commit-button"); got != "Import 1 row" {
		t.Fatalf("after the refused commit, the commit button reads %q: %s", got, page.Text("main"))
	}
	if res := c.Post(item+"/commit", url.Values{}); res.Status != http.StatusSeeOther {
		t.Fatalf("commit again: %d", res.Status)
	}
	if got := importResult(c.Get(item)); got != "Rows 1, Created 1, Updated 0, Unchanged 0" {
		t.Errorf("result: %q", got)
	}
	_ = app
}

// An import whose run was cut short (the server running it in the admin's request stopped,
// leaving it claimed, its claim no longer renewed) is not shown importing for ever: its page
// and the list say it failed, and why, and Import again runs it. One whose claim is renewed
// is still importing. An import whose file cannot be loaded once claimed (no longer kept, or
// no longer readable) fails at once, saying to upload it again, where it stayed "importing".
func TestImportCutShortOrUnloadableFailsAndSaysWhatToDo(t *testing.T) {
	t.Parallel()
	app, c, env := importAsAdmin(t)
	acme, _ := env.Registry.Lookup("acme")
	db := app.DB(t, acme)
	upload := func(name string) (string, int64) {
		res := uploadImport(c, "vendors", name, []byte("name,payment_terms,currency\nAcme,30,USD\n"))
		item := res.Location()
		var id int64
		if _, err := fmt.Sscanf(item, "/admin/import/%d", &id); err != nil {
			t.Fatalf("upload: %d %q", res.Status, item)
		}
		return item, id
	}
	claim := func(id int64, renewed time.Duration) {
		if err := db.Exec(`UPDATE imports SET status = 'running', done_rows = 0, updated_at = now() - make_interval(secs => ?) WHERE id = ?`,
			renewed.Seconds(), id).Error; err != nil {
			t.Fatal(err)
		}
	}
	cutShort, cutID := upload("cut-short.csv")
	claim(cutID, models.ImportClaimLease+time.Minute)
	running, runID := upload("running.csv")
	claim(runID, 0)

	badge := func(file string) string {
		return strings.TrimSpace(c.Get("/admin/import").Doc.Find(`tr:has(a:contains("` + file + `")) .badge`).Text())
	}
	if got := badge("cut-short.csv"); got != "Failed" {
		t.Errorf("the list shows the import cut short as %q", got)
	}
	page := c.Get(cutShort)
	if title, msg := page.Text("#result-title"), page.Text("#import-progress > p"); title != "Not imported" || msg != models.ImportCutShort {
		t.Errorf("the page of the import cut short: %q %q (%s)", title, msg, page.Text("main"))
	}
	if got := page.Text("#retry-button"); got != "Import again" {
		t.Fatalf("the import cut short offers %q", got)
	}
	if res := c.Post(cutShort+"/commit", url.Values{}); res.Status != http.StatusSeeOther || res.Location() != cutShort {
		t.Fatalf("Import again: %d %q", res.Status, res.Location())
	}
	if got := importResult(c.Get(cutShort)); got != "Rows 1, Created 1, Updated 0, Unchanged 0" {
		t.Errorf("run again: %q", got)
	}
	if page := c.Get(running); page.Doc.Find("#import-bar").Length() != 1 || page.Doc.Find("#retry-button").Length() != 0 || badge("running.csv") != "Importing" {
		t.Errorf("an import whose claim is renewed is no longer importing: %s", page.Text("main"))
	}

	for _, tc := range []struct{ name, change, want string }{
		{"file no longer kept", `UPDATE imports SET file = NULL WHERE id = ?`, "This import's file is no longer kept; upload it again."},
		{"file no longer readable", `UPDATE imports SET filename = 'vendors.xlsx', file = 'not a workbook'::bytea WHERE id = ?`, "Nothing was imported: "},
	} {
		item, id := upload(tc.name + ".csv")
		if err := db.Exec(tc.change, id).Error; err != nil {
			t.Fatal(err)
		}
		if res := c.Post(item+"/commit", url.Values{}); res.Status != http.StatusSeeOther || res.Location() != item {
			t.Errorf("%s: Import answered %d %q", tc.name, res.Status, res.Location())
		}
		var status string
		db.Raw(`SELECT status FROM imports WHERE id = ?`, id).Scan(&status)
		page := c.Get(item)
		if msg := page.Text("#import-progress > p"); status != models.ImportFailed || page.Text("#result-title") != "Not imported" ||
			!strings.HasPrefix(msg, tc.want) || !strings.HasSuffix(msg, "pload it again.") || page.Doc.Find("#retry-button").Length() != 0 {
			t.Errorf("%s: the import is %s, its page reads %q", tc.name, status, page.Text("main"))
		}
	}
}

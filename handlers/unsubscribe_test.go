package handlers_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"outlay/audit"
	"outlay/auth"
	"outlay/internal/testutil"
	"outlay/models"
)

// Every notification mail carries a signed link, also sent as List-Unsubscribe, that stops
// its kind for its recipient without signing in: opening it asks (a mail scanner's GET
// changes nothing), the button stops it, audited as the person's own change of preferences,
// and a mail program's one-click POST does the same without a CSRF token. A changed link,
// or another organisation's, is refused and changes nothing.
func TestUnsubscribeLinkStopsItsKindAndNothingElse(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	globex := env.NewTenant(t, "globex", "Globex Industries")
	app := testutil.NewApp(t, env)
	db, gdb := env.DB(t, acme), env.DB(t, globex)
	avery := env.CreateUser(t, acme, "avery@acme.example", "Avery Approver", "approver")
	riley := env.CreateUser(t, acme, "riley@acme.example", "Riley Requester", "requester")
	gina := env.CreateUser(t, globex, "gina@globex.example", "Gina Globex", "approver")
	if err := db.Exec(`UPDATE users SET manager_id = ? WHERE id = ?`, avery.ID, riley.ID).Error; err != nil {
		t.Fatal(err)
	}
	signer := auth.NewSigner(env.Config.SecretKey)
	n := &models.Notifier{OrgName: acme.Name, BaseURL: env.Config.TenantURL(acme.Slug, ""), Slug: acme.Slug, Signer: signer}
	ctx := models.WithNotifier(context.Background(), n)
	r := testutil.CreateRequisition(t, db, testutil.Requisition{RequesterID: riley.ID, Lines: []testutil.RequisitionLine{{Amount: 34000}}})
	out := testutil.SubmitRequisition(t, db.WithContext(ctx), r)
	if _, err := models.DecideStep(audit.WithActor(ctx, audit.Actor{Type: audit.ActorUser, ID: avery.ID}), db,
		models.Viewer{UserID: avery.ID, Roles: []string{"approver"}}, out.Steps[0].ID, models.Decision{Approve: true}); err != nil {
		t.Fatal(err)
	}
	if err := app.Jobs.DeliverMail(context.Background(), acme.Slug, n.TakeQueued()...); err != nil {
		t.Fatal(err)
	}
	links := map[string]string{}
	for _, m := range app.WaitMail(t, 2) {
		var inBody string
		for _, l := range strings.Fields(m.Body) {
			if strings.Contains(l, "/unsubscribe/") {
				inBody = l
			}
		}
		if m.Unsubscribe == "" || inBody != m.Unsubscribe || !strings.Contains(m.HTML, `href="`+m.Unsubscribe+`"`) {
			t.Fatalf("mail to %s: unsubscribe %q, in the text %q:\n%s", m.To, m.Unsubscribe, inBody, m.Body)
		}
		u, err := url.Parse(m.Unsubscribe)
		if err != nil || u.Host != "acme."+env.Config.PublicURL.Host {
			t.Fatalf("unsubscribe link %q", m.Unsubscribe)
		}
		links[m.To] = u.Path
	}
	prefOf := func(userID int64, kind string) string {
		t.Helper()
		prefs, err := models.NotificationPreferences(context.Background(), db, userID)
		if err != nil {
			t.Fatal(err)
		}
		return prefs[kind]
	}

	// Opening the link asks and changes nothing.
	visitor := app.Client(t, "acme")
	page := visitor.Get(links["avery@acme.example"])
	if page.Status != http.StatusOK || page.Text("h1") != "Stop these mails?" || !strings.Contains(page.Text("main"), "A request waits for your approval") ||
		!strings.Contains(page.Text("main"), "avery@acme.example") {
		t.Fatalf("unsubscribe page: %d %q %q", page.Status, page.Text("h1"), page.Text("main"))
	}
	if tok, _ := page.Doc.Find(`form[method=post] input[name=_csrf]`).Attr("value"); tok == "" {
		t.Error("the unsubscribe form carries no CSRF token")
	}
	if got := prefOf(avery.ID, models.MailStepWaiting); got != models.DeliverInstantly {
		t.Fatalf("opening the link changed the preference to %s", got)
	}
	// A form post without the page's token is refused.
	if res := app.Client(t, "acme").Post(links["avery@acme.example"], url.Values{"_csrf": {"forged"}}); res.Status != http.StatusForbidden {
		t.Errorf("unsubscribe without the page's CSRF token: %d", res.Status)
	}
	// A changed link is refused on both methods.
	tampered := links["avery@acme.example"][:len(links["avery@acme.example"])-3] + "AAA"
	if tampered == links["avery@acme.example"] {
		tampered = tampered[:len(tampered)-3] + "BBB"
	}
	other := strings.Replace(links["avery@acme.example"], "/unsubscribe/", "/unsubscribe/x", 1)
	for _, bad := range []string{tampered, other, "/unsubscribe/garbage"} {
		if res := visitor.Get(bad); res.Status != http.StatusBadRequest || res.Text("h1") != "This link does not work" {
			t.Errorf("GET %s: %d %q", bad, res.Status, res.Text("h1"))
		}
		visitor.Get(links["avery@acme.example"])
		if res := visitor.Post(bad, nil); res.Status != http.StatusBadRequest || !strings.Contains(res.Text("main"), "Nothing was changed") {
			t.Errorf("POST %s: %d %q", bad, res.Status, res.Text("main"))
		}
		if res := app.Client(t, "acme").Post(bad, url.Values{"List-Unsubscribe": {"One-Click"}}); res.Status != http.StatusBadRequest {
			t.Errorf("one-click POST %s: %d", bad, res.Status)
		}
	}
	// Another organisation's genuine link is refused here, and acme's link on globex's host.
	gpath := "/unsubscribe/" + models.UnsubscribeToken(signer, globex.Slug, gina.ID, models.MailStepWaiting)
	for _, c := range []struct {
		client *testutil.Client
		path   string
	}{{app.Client(t, "acme"), gpath}, {app.Client(t, "globex"), links["avery@acme.example"]}} {
		if res := c.client.Get(c.path); res.Status != http.StatusBadRequest || res.Text("h1") != "This link is for another organisation" {
			t.Errorf("another organisation's link: %d %q", res.Status, res.Text("h1"))
		}
		if res := c.client.Post(c.path, url.Values{"List-Unsubscribe": {"One-Click"}}); res.Status != http.StatusBadRequest {
			t.Errorf("another organisation's link, one click: %d", res.Status)
		}
	}
	gprefs, _ := models.NotificationPreferences(context.Background(), gdb, gina.ID)
	for kind, d := range gprefs {
		if d != models.DeliverInstantly {
			t.Errorf("a refused link changed Gina's %s to %s", kind, d)
		}
	}
	for _, id := range []int64{avery.ID, riley.ID} {
		for _, k := range models.NotificationKinds {
			if got := prefOf(id, k.Kind); got != models.DeliverInstantly {
				t.Errorf("a refused link changed person %d's %s to %s", id, k.Kind, got)
			}
		}
	}

	// The button stops that kind only, as Avery's own audited change.
	visitor.Get(links["avery@acme.example"])
	done := visitor.Post(links["avery@acme.example"], nil)
	if done.Status != http.StatusOK || done.Text("h1") != "You will get no more of these mails" {
		t.Fatalf("unsubscribe: %d %q", done.Status, done.Text("h1"))
	}
	if got := prefOf(avery.ID, models.MailStepWaiting); got != models.DeliverOff {
		t.Errorf("after unsubscribing, step waiting is %s", got)
	}
	if got := prefOf(avery.ID, models.MailDecided); got != models.DeliverInstantly {
		t.Errorf("unsubscribing changed another kind: %s", got)
	}
	var audited int64
	db.Raw(`SELECT count(*) FROM audit_log WHERE table_name = 'notification_preferences' AND action = 'create'
		AND actor_id = ? AND actor_label = 'avery@acme.example'`, avery.ID).Scan(&audited)
	if audited != 1 {
		t.Errorf("%d audited preference changes by Avery, want 1", audited)
	}
	if again := visitor.Get(links["avery@acme.example"]); again.Text("h1") != "These mails are already off" || again.Doc.Find("form[method=post]").Length() != 0 {
		t.Errorf("the link once used: %q", again.Text("h1"))
	}

	// A mail program's one click: no cookie, no CSRF token.
	mailProgram := app.Client(t, "acme")
	res := mailProgram.Post(links["riley@acme.example"], url.Values{"List-Unsubscribe": {"One-Click"}, "_csrf": {""}})
	if res.Status != http.StatusOK {
		t.Fatalf("one-click unsubscribe: %d %s", res.Status, res.Body)
	}
	if got := prefOf(riley.ID, models.MailDecided); got != models.DeliverOff {
		t.Errorf("after one click, decided is %s", got)
	}
	// Sent as multipart/form-data, as RFC 8058 asks, it is a one click too, not a form
	// without its CSRF token.
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("List-Unsubscribe", "One-Click")
	mw.Close()
	req := httptest.NewRequest(http.MethodPost, links["riley@acme.example"], &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if res := app.Client(t, "acme").Do(req); res.Status != http.StatusOK || res.Body != "Unsubscribed." {
		t.Errorf("one-click unsubscribe as multipart/form-data: %d %q", res.Status, res.Body)
	}
}

package jobs_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"outlay/audit"
	"outlay/internal/smtptest"
	"outlay/internal/testutil"
	"outlay/models"
)

// Notification mails go out as multipart/alternative: the plain text, and an HTML version of
// it in which what people typed (a name, a comment) is escaped, never markup, and the
// document's address is a link.
func TestNotificationMailsCarryPlainTextAndEscapedHTML(t *testing.T) {
	srv := smtptest.Start(t)
	env, tn := testutil.NewTenant(t)
	q := testutil.StartJobs(t, env, smtpMailer(t, env, srv))
	db := env.DB(t, tn)
	avery := env.CreateUser(t, tn, "avery@acme.example", "Avery <i>Approver</i>", "approver")
	riley := env.CreateUser(t, tn, "riley@acme.example", "Riley <b>Requester</b>", "requester")
	if err := db.Exec(`UPDATE users SET manager_id = ? WHERE id = ?`, avery.ID, riley.ID).Error; err != nil {
		t.Fatal(err)
	}
	n := &models.Notifier{OrgName: "Acme & Sons", BaseURL: "http://acme.localhost:8080"}
	ctx := models.WithNotifier(context.Background(), n)
	r := testutil.CreateRequisition(t, db, testutil.Requisition{RequesterID: riley.ID, Lines: []testutil.RequisitionLine{{Amount: 34000}}})
	out := testutil.SubmitRequisition(t, db.WithContext(ctx), r)
	comment := `Too dear: <script>alert("x")</script> & see <a href="http://evil.example">this</a>`
	if _, err := models.DecideStep(audit.WithActor(ctx, audit.Actor{Type: audit.ActorUser, ID: avery.ID}), db,
		models.Viewer{UserID: avery.ID, Roles: []string{"approver"}}, out.Steps[0].ID, models.Decision{Comment: comment}); err != nil {
		t.Fatal(err)
	}
	if err := q.DeliverMail(context.Background(), tn.Slug, n.TakeQueued()...); err != nil {
		t.Fatal(err)
	}
	got := srv.Wait(t, 2, 15*time.Second)
	wantTo(t, got, "avery@acme.example", "riley@acme.example")
	for _, m := range got {
		if strings.Join(m.Parts, " ") != "text/plain text/html" || !strings.HasPrefix(m.Header.Get("Content-Type"), "multipart/alternative") {
			t.Errorf("mail to %s: parts %v, content type %q", m.To[0], m.Parts, m.Header.Get("Content-Type"))
		}
		for _, raw := range []string{"<b>Requester</b>", "<i>Approver</i>", "<script>", `<a href="http://evil.example">`, "Acme & Sons"} {
			if strings.Contains(m.HTML, raw) {
				t.Errorf("the HTML to %s carries %q unescaped:\n%s", m.To[0], raw, m.HTML)
			}
		}
		if !strings.Contains(m.HTML, "Riley &lt;b&gt;Requester&lt;/b&gt;") || (m.To[0] == "avery@acme.example" && !strings.Contains(m.HTML, "Acme &amp; Sons")) ||
			!strings.Contains(m.HTML, `<a href="http://acme.localhost:8080/`+map[bool]string{true: "approvals/", false: "requisitions/"}[m.To[0] == "avery@acme.example"]) {
			t.Errorf("the HTML to %s lacks the escaped names or the document's link:\n%s", m.To[0], m.HTML)
		}
		if !strings.Contains(m.Body, "Riley <b>Requester</b>") {
			t.Errorf("the plain text to %s lacks the name as typed:\n%s", m.To[0], m.Body)
		}
	}
	rejection := got[0]
	if rejection.To[0] != "riley@acme.example" {
		rejection = got[1]
	}
	if !strings.Contains(rejection.HTML, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; see &lt;a href=&#34;") ||
		!strings.Contains(rejection.HTML, "<blockquote") || strings.Contains(rejection.HTML, "&gt; Too dear") || !strings.Contains(rejection.Body, "> "+comment) {
		t.Errorf("the rejection's comment:\ntext:\n%s\nhtml:\n%s", rejection.Body, rejection.HTML)
	}
}

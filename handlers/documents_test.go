package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"outlay/internal/dbtest"
	"outlay/internal/testutil"
	"outlay/models"
)

// A comment refused on a plain form post (no htmx: JavaScript off, or htmx not loaded yet)
// comes back on the document's own page, whatever the kind and whether the page is the
// document or its form: the text as typed in the box, the reason beside it, nothing stored.
// Refused as too long, it is longer than any cookie could carry back.
func TestRefusedPlainCommentComesBackOnTheDocumentPage(t *testing.T) {
	t.Parallel()
	for _, kind := range []struct {
		name string
		// open makes a document and signs in someone who may comment on it: their client
		// and the document's page.
		open func(t *testing.T) (*testutil.Client, string)
	}{
		{"requisition", func(t *testing.T) (*testutil.Client, string) {
			env, acme := testutil.NewTenant(t)
			rita := env.CreateUser(t, acme, "rita@acme.example", "Rita Requester", "requester")
			r := testutil.ApprovedRequisition(t, env.DB(t, acme), rita.ID, "", standAndCable...)
			return signedIn(t, testutil.NewApp(t, env), "rita@acme.example"), "/requisitions/" + itoa(r.Requisition.ID)
		}},
		{"purchase order", func(t *testing.T) (*testutil.Client, string) {
			env, acme := testutil.NewTenant(t)
			rita := env.CreateUser(t, acme, "rita@acme.example", "Rita Requester", "requester")
			carl := env.CreateUser(t, acme, "carl@acme.example", "Carl Clerk", "ap_clerk")
			_, po := dbtest.ReceivedOrder(t, env.DB(t, acme), rita.ID, carl.ID, nil, standAndCable...)
			return signedIn(t, testutil.NewApp(t, env), "carl@acme.example"), "/purchase-orders/" + itoa(po.ID)
		}},
		{"expense report draft, shown as its form", func(t *testing.T) (*testutil.Client, string) {
			s := newExpenseSite(t)
			c := s.client(t, s.rita)
			c.Get("/expenses/new")
			res := c.Post("/expenses", s.expenseForm("save", [4]string{day(1), ids(s.meals.ID), "Cafe", "40.00"}))
			if res.Status != http.StatusSeeOther {
				t.Fatalf("save the draft: %d", res.Status)
			}
			return c, res.Location()
		}},
	} {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			c, doc := kind.open(t)
			if c.Get(doc).Doc.Find("#comment-body").Length() != 1 {
				t.Fatalf("%s has no comment box", doc)
			}
			for _, refused := range []struct{ typed, message string }{
				{"   \n  ", "Write a comment first."},
				// 4,999 characters once the last space is trimmed.
				{strings.Repeat("Ça coûte trop cher. ", 250), "A comment has at most 4,000 characters; this one has 4,999."},
			} {
				res := c.Post(doc+"/comments", url.Values{"body": {refused.typed}})
				box := res.Doc.Find("textarea#comment-body")
				if res.Status != http.StatusUnprocessableEntity || res.Text("#body-error") != refused.message {
					t.Errorf("%q: %d %q", refused.message, res.Status, res.Text("#body-error"))
				}
				if box.Text() != refused.typed || box.AttrOr("aria-invalid", "") != "true" || box.AttrOr("autofocus", "no") == "no" {
					t.Errorf("%q: the box holds %d characters of the %d typed, aria-invalid %q, autofocus %v", refused.message,
						len([]rune(box.Text())), len([]rune(refused.typed)), box.AttrOr("aria-invalid", ""), box.AttrOr("autofocus", "no") != "no")
				}
				// The whole page, not the section alone: the layout and the document around it.
				if res.Doc.Find("nav.nav").Length() == 0 || res.Doc.Find("#attachments").Length() != 1 || res.Doc.Find(".comment").Length() != 0 {
					t.Errorf("%q: not the document's page with no comment", refused.message)
				}
			}
			// The page's token still works: the comment, corrected, is posted.
			res := c.Post(doc+"/comments", url.Values{"body": {"Please deliver to the side door."}})
			if res.Status != http.StatusSeeOther || res.Location() != doc+"#comments" {
				t.Fatalf("corrected comment: %d %q", res.Status, res.Location())
			}
			page := c.Get(doc)
			if page.Text(".comment-body") != "Please deliver to the side door." || page.Text("#comment-body") != "" || page.Doc.Find("#body-error").Text() != "" {
				t.Errorf("after posting: comments %q, box %q", page.Text(".comment-body"), page.Text("#comment-body"))
			}
		})
	}
}

// A file refused on a plain form post has nothing typed to keep; the document's page comes
// back with the reason beside the file input.
func TestRefusedPlainUploadShowsItsReasonBesideTheFileInput(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	rita := env.CreateUser(t, acme, "rita@acme.example", "Rita Requester", "requester")
	r := testutil.ApprovedRequisition(t, env.DB(t, acme), rita.ID, "", standAndCable...)
	env.Config.MaxUploadBytes = 2048
	c := signedIn(t, testutil.NewApp(t, env), "rita@acme.example")
	doc := "/requisitions/" + itoa(r.Requisition.ID)
	c.Get(doc)
	for _, tc := range []struct {
		name, filename string
		body           []byte
		message        string
	}{
		{"too large", "big.txt", []byte(strings.Repeat("a", 2049)), "This file is larger than 2 KB, the most an attachment may be."},
		{"not an allowed kind", "invoice.pdf", []byte("<html><script>alert(1)</script></html>"), "Files of this kind cannot be attached. "},
	} {
		res := c.Upload(doc+"/attachments", "file", tc.filename, "application/pdf", tc.body)
		input := res.Doc.Find("input#attachment-file")
		if res.Status != http.StatusUnprocessableEntity || !strings.HasPrefix(res.Text("#file-error"), tc.message) ||
			input.AttrOr("aria-invalid", "") != "true" || res.Doc.Find(".attachment").Length() != 0 {
			t.Errorf("%s: %d %q", tc.name, res.Status, res.Text("#file-error"))
		}
		if res.Doc.Find("#comments").Length() != 1 || res.Text("#body-error") != "" {
			t.Errorf("%s: not the document's page, or the comment box took the refusal", tc.name)
		}
	}
	res := c.Upload(doc+"/attachments", "file", "quote.pdf", "application/pdf", pdfBytes)
	if res.Status != http.StatusSeeOther || res.Location() != doc+"#attachments" {
		t.Errorf("an allowed file: %d %q", res.Status, res.Location())
	}
}

// notSaved is the sign-in page's flash after a post that came without a live session.
const notSaved = "You were signed out, so that was not saved. Sign in again, then do it again."

// staleToken is the flash of a page loaded again after its form was sent with the token of a
// session the browser no longer has.
const staleToken = "This page was opened before you signed in again, so that was not saved. It has been loaded again: send it again."

// An htmx request (a comment, an inline approval) from a page whose session has ended, or was
// signed out in another tab, goes to the sign-in page and, once signed in, back to the page it
// was sent from; nothing it asked for is done, and the sign-in page says so. A plain form post
// is answered as before, with the same words; an htmx request that only reads (the bell's
// poll) is told the session ended.
func TestEndedSessionSendsHTMXToSignInAndBack(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	db := env.DB(t, acme)
	rita := env.CreateUser(t, acme, "rita@acme.example", "Rita Requester", "requester")
	r := testutil.ApprovedRequisition(t, db, rita.ID, "", standAndCable...)
	app := testutil.NewApp(t, env)
	doc := "/requisitions/" + itoa(r.Requisition.ID)
	back := "/login?next=" + url.QueryEscape(doc+"?tab=files")

	// htmx sends the token of the page it was loaded with; so does a form on it.
	htmxPost := func(c *testutil.Client, csrf, currentURL string) *testutil.Response {
		c.Header.Set("HX-Request", "true")
		c.Header.Set("HX-Current-URL", currentURL)
		defer c.Header.Del("HX-Request")
		defer c.Header.Del("HX-Current-URL")
		return c.Post(doc+"/comments", url.Values{"body": {"Order before Friday."}, "_csrf": {csrf}})
	}
	pageURL := func(c *testutil.Client, path string) string { return "http://" + c.Host + path }
	signOutElsewhere := func(c *testutil.Client) {
		if res := c.Post("/logout", nil); res.Status != http.StatusSeeOther {
			t.Fatalf("sign out: %d", res.Status)
		}
	}
	expire := func() {
		if err := db.Exec("UPDATE sessions SET expires_at = now() - interval '1 minute'").Error; err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name       string
		end        func(*testutil.Client)
		currentURL func(*testutil.Client) string
		want       string
	}{
		{"signed out in another tab", signOutElsewhere, func(c *testutil.Client) string { return pageURL(c, doc+"?tab=files") }, back},
		{"session expired", func(*testutil.Client) { expire() }, func(c *testutil.Client) string { return pageURL(c, doc+"?tab=files") }, back},
		{"a page of another host", signOutElsewhere, func(*testutil.Client) string { return "http://evil.example" + doc }, "/login"},
		{"a path that leaves the site", signOutElsewhere, func(c *testutil.Client) string { return pageURL(c, "//evil.example/x") }, "/login"},
		{"no page named", signOutElsewhere, func(*testutil.Client) string { return "" }, "/login"},
	} {
		c := signedIn(t, app, "rita@acme.example")
		csrf := c.Get(doc).Doc.Find(`meta[name="csrf-token"]`).AttrOr("content", "")
		tc.end(c)
		res := htmxPost(c, csrf, tc.currentURL(c))
		if res.Status != http.StatusNoContent || res.Header.Get("HX-Redirect") != tc.want || res.Header.Get("Outlay-Not-Saved") != "true" {
			t.Errorf("%s: %d, HX-Redirect %q, Outlay-Not-Saved %q, want %q and true", tc.name, res.Status,
				res.Header.Get("HX-Redirect"), res.Header.Get("Outlay-Not-Saved"), tc.want)
			continue
		}
		login := c.Get(res.Header.Get("HX-Redirect"))
		if login.Text(".flash-warning") != notSaved {
			t.Errorf("%s: the sign-in page says %q", tc.name, login.Text(".flash"))
		}
		if tc.want == back {
			next := login.Doc.Find(`form input[name="next"]`).AttrOr("value", "")
			res := c.Post("/login", url.Values{"email": {"rita@acme.example"}, "password": {testutil.Password}, "next": {next}})
			if res.Status != http.StatusSeeOther || res.Location() != doc+"?tab=files" {
				t.Errorf("%s: signed in again, sent to %q", tc.name, res.Location())
			}
		}
	}
	var n int64
	db.Model(&models.Comment{}).Count(&n)
	if n != 0 {
		t.Errorf("%d comments stored by requests without a session", n)
	}

	// Without htmx, as before: a form from a page signed out elsewhere is refused as expired,
	// and one whose session ended goes to sign in with the same flash.
	c := signedIn(t, app, "rita@acme.example")
	c.Get(doc)
	csrf := c.CSRF
	signOutElsewhere(c)
	if res := c.Post(doc+"/comments", url.Values{"body": {"Order before Friday."}, "_csrf": {csrf}}); res.Status != http.StatusForbidden {
		t.Errorf("plain post signed out elsewhere: %d", res.Status)
	}
	c = signedIn(t, app, "rita@acme.example")
	c.Get(doc)
	expire()
	if res := c.Post(doc+"/comments", url.Values{"body": {"Order before Friday."}}); res.Status != http.StatusSeeOther || res.Location() != "/login" {
		t.Errorf("plain post after the session expired: %d %q", res.Status, res.Location())
	} else if got := c.Get(res.Location()).Text(".flash-warning"); got != notSaved {
		t.Errorf("plain post after the session expired: the sign-in page says %q", got)
	}

	// Signed in again in another tab, the browser has a live session the page's token was not
	// made for: htmx is sent back to the same page, loaded again with a token of the new
	// session, and told that nothing was saved; a page of another host, or a plain form, is
	// refused as before.
	for _, tc := range []struct {
		name, currentURL string
		htmx             bool
		status           int
		redirect         string
	}{
		{"htmx from the page", doc + "?tab=files", true, http.StatusNoContent, doc + "?tab=files"},
		{"htmx naming another host", "http://evil.example" + doc, true, http.StatusForbidden, ""},
		{"a plain form", "", false, http.StatusForbidden, ""},
	} {
		c := signedIn(t, app, "rita@acme.example")
		csrf := c.Get(doc).Doc.Find(`meta[name="csrf-token"]`).AttrOr("content", "")
		signOutElsewhere(c)
		c.SignIn("rita@acme.example", testutil.Password)
		var res *testutil.Response
		if tc.htmx {
			u := tc.currentURL
			if strings.HasPrefix(u, "/") {
				u = pageURL(c, u)
			}
			res = htmxPost(c, csrf, u)
		} else {
			res = c.Post(doc+"/comments", url.Values{"body": {"Order before Friday."}, "_csrf": {csrf}})
		}
		if res.Status != tc.status || res.Header.Get("HX-Redirect") != tc.redirect {
			t.Errorf("signed in again, %s: %d, HX-Redirect %q; want %d, %q", tc.name, res.Status, res.Header.Get("HX-Redirect"), tc.status, tc.redirect)
			continue
		}
		if tc.redirect == "" {
			continue
		}
		if res.Header.Get("Outlay-Not-Saved") != "true" {
			t.Errorf("signed in again, %s: no Outlay-Not-Saved", tc.name)
		}
		page := c.Get(tc.redirect)
		if got := page.Text(".flash-warning"); got != staleToken {
			t.Errorf("signed in again, %s: the page says %q", tc.name, got)
		}
		if fresh := page.Doc.Find(`meta[name="csrf-token"]`).AttrOr("content", ""); fresh == "" || fresh == csrf {
			t.Errorf("signed in again, %s: the page loaded again has token %q, want a new one", tc.name, fresh)
		}
	}
	db.Model(&models.Comment{}).Count(&n)
	if n != 0 {
		t.Errorf("%d comments stored by requests with another session's token", n)
	}

	// A read through htmx (the bell's poll) saved nothing, and says only why the session ended.
	c = signedIn(t, app, "rita@acme.example")
	c.Get(doc)
	expire()
	c.Header.Set("HX-Request", "true")
	c.Header.Set("HX-Current-URL", pageURL(c, doc))
	res := c.Get("/notifications/bell")
	c.Header.Del("HX-Request")
	c.Header.Del("HX-Current-URL")
	if res.Header.Get("HX-Redirect") == "" {
		t.Fatalf("the bell's poll after the session expired: %d, no HX-Redirect", res.Status)
	}
	if got := c.Get(res.Header.Get("HX-Redirect")).Text(".flash-info"); got != "You were signed out: a session lasts at most 12 hours. Sign in to go on." {
		t.Errorf("after the bell's poll the sign-in page says %q", got)
	}
}

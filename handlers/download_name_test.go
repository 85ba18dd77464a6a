package handlers_test

import (
	"net/http"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"outlay/internal/testutil"
)

// A file detected as plain text but named evil.html downloads as evil.html.txt, so no
// browser or desktop opens it as a page; the list still shows the name it was given.
func TestDownloadNameMatchesTheDetectedType(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	rita := env.CreateUser(t, acme, "rita@acme.example", "Rita Requester", "requester")
	r := testutil.ApprovedRequisition(t, env.DB(t, acme), rita.ID, "", standAndCable...)
	app := testutil.NewApp(t, env)
	c := app.Client(t, "acme")
	c.SignIn("rita@acme.example", testutil.Password)
	c.Get("/dashboard") // the signed-in CSRF token
	c.Header.Set("HX-Request", "true")
	base := "/requisitions/" + itoa(r.Requisition.ID) + "/attachments"
	for _, tc := range []struct{ name, body, want string }{
		{"evil.html", "plain words that a browser would render as a page under this name", `attachment; filename="evil.html.txt"; filename*=UTF-8''evil.html.txt`},
		{"notes.txt", "plain notes", `attachment; filename="notes.txt"; filename*=UTF-8''notes.txt`},
	} {
		res := c.Upload(base, "file", tc.name, "text/html", []byte(tc.body))
		if res.Status != http.StatusOK {
			t.Fatalf("upload %s: %d %q", tc.name, res.Status, res.Text("#file-error"))
		}
		link := res.Doc.Find(".attachment a").FilterFunction(func(_ int, s *goquery.Selection) bool { return s.Text() == tc.name })
		href, ok := link.Attr("href")
		if !ok {
			t.Fatalf("%s is not listed under its name", tc.name)
		}
		dl := c.Get(href)
		if dl.Status != http.StatusOK || dl.Header.Get("Content-Disposition") != tc.want || dl.Header.Get("Content-Type") != "text/plain; charset=utf-8" {
			t.Errorf("%s: %d %q %q, want %q", tc.name, dl.Status, dl.Header.Get("Content-Disposition"), dl.Header.Get("Content-Type"), tc.want)
		}
	}
}

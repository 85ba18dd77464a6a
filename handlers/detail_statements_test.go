package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"outlay/internal/testutil"
	"outlay/models"
)

// A document's page reads each thing once: the document through its kind's visibility, then
// its lines, route, comments and files without asking again whether it may be seen (the
// read's proof, models.Seen, says so), and its value's stages from the document already read.
// Before, a requisition's page checked its visibility three times and read it twice.
func TestDocumentPagesReadEachThingOnce(t *testing.T) {
	t.Parallel()
	f := newHistoryFixture(t)
	ctx := context.Background()
	rita := models.Viewer{UserID: f.rita.ID, Roles: []string{"requester"}}
	id := f.p.Requisition.ID
	if _, err := models.AddComment(ctx, f.db, rita, models.DocRequisition, id, "Please hurry.", ""); err != nil {
		t.Fatal(err)
	}
	sum := strings.Repeat("b", 64)
	if _, err := models.AddAttachment(ctx, f.db, rita, models.DocRequisition, id, models.NewAttachment{Filename: "quote.pdf",
		ContentType: "application/pdf", SizeBytes: 2048, SHA256: sum, StorageKey: "acme/" + sum}); err != nil {
		t.Fatal(err)
	}
	app := testutil.NewApp(t, f.env)
	log := &statementLog{}
	log.register(t, f.db)

	for _, tc := range []struct {
		who, path string
		want      []string
		// most is how many statements the page may send, the session's read included.
		most int
	}{
		{"rita@acme.example", fmt.Sprintf("/requisitions/%d", id), []string{"Please hurry.", "quote.pdf", "2 KB", "Rita Requester", "$960.00"}, 7},
		{"ana@acme.example", fmt.Sprintf("/purchase-orders/%d", f.po.ID), []string{"Standing desk", f.po.Number}, 10},
	} {
		c := app.Client(t, "acme")
		c.SignIn(tc.who, testutil.Password)
		c.Get(tc.path) // the tenant's policy is loaded on its first use; the page is measured after
		var res *testutil.Response
		stmts := log.during(func() { res = c.Get(tc.path) })
		if res.Status != http.StatusOK {
			t.Fatalf("%s: status %d", tc.path, res.Status)
		}
		text := res.Text("main")
		for _, w := range tc.want {
			if !strings.Contains(text, w) {
				t.Errorf("%s lacks %q", tc.path, w)
			}
		}
		sent := map[string]int{}
		for _, s := range stmts {
			sent[s.key()]++
			if sent[s.key()] == 2 {
				t.Errorf("%s sends the same statement twice: %s", tc.path, s)
			}
			if strings.Contains(s.sql, "count(*)") && strings.Contains(s.sql, "approval_steps") {
				t.Errorf("%s asks again whether the document may be seen: %s", tc.path, s)
			}
		}
		if len(stmts) > tc.most {
			for _, s := range stmts {
				t.Log(s)
			}
			t.Errorf("%s sends %d statements, want at most %d", tc.path, len(stmts), tc.most)
		}
	}
}

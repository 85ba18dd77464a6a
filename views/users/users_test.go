package users

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"outlay/views"
)

func render(t *testing.T, l List) *goquery.Document {
	t.Helper()
	var b bytes.Buffer
	if err := Results(l).Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestEmptyStatesSayWhy(t *testing.T) {
	doc := render(t, List{Filter: Filter{Page: 1}, CanCreate: true})
	if got := strings.TrimSpace(doc.Find(".empty-state h2").Text()); got != "No people yet" {
		t.Errorf("no people: %q", got)
	}
	if doc.Find(`.empty-state a[href="/admin/users/new"]`).Length() != 1 {
		t.Error("no people: no invite button for someone who may invite")
	}
	if render(t, List{Filter: Filter{Page: 1}}).Find(`.empty-state a[href="/admin/users/new"]`).Length() != 0 {
		t.Error("no people: invite button for someone who may not invite")
	}
	doc = render(t, List{Filter: Filter{Q: "zz", Page: 1}, CanCreate: true})
	if got := strings.TrimSpace(doc.Find(".empty-state h2").Text()); got != "No one matches" {
		t.Errorf("no match: %q", got)
	}
}

func TestPaginationShowsARangeAndAShortRowOfLinks(t *testing.T) {
	l := List{Filter: Filter{Role: "approver", Page: 2}, Total: 132, Rows: []Row{{ID: 1, Name: "A"}}}
	if got := l.Pager().Showing(); got != "Showing 26–50 of 132" {
		t.Errorf("Showing() = %q", got)
	}
	var pages []string
	for _, p := range l.Pager().Links() {
		switch {
		case p.Gap:
			pages = append(pages, "…")
		case p.Current:
			pages = append(pages, "["+p.Href+"]")
		default:
			pages = append(pages, p.Href)
		}
	}
	want := "/admin/users?role=approver [/admin/users?page=2&role=approver] /admin/users?page=3&role=approver /admin/users?page=4&role=approver … /admin/users?page=6&role=approver"
	if got := strings.Join(pages, " "); got != want {
		t.Errorf("links\n got %s\nwant %s", got, want)
	}
	doc := render(t, l)
	if got := strings.TrimSpace(doc.Find(`nav.pagination [role="status"]`).Text()); got != "Showing 26–50 of 132" {
		t.Errorf("pagination says %q", got)
	}
	if got := strings.TrimSpace(doc.Find(`nav.pagination [aria-current="page"]`).Text()); got != "2" {
		t.Errorf("current page %q", got)
	}
	last := List{Filter: Filter{Page: 6}, Total: 132, Rows: []Row{{ID: 1}}}
	if got := last.Pager().Showing(); got != "Showing 126–132 of 132" {
		t.Errorf("last page: %q", got)
	}
	if got := (views.Pagination{Page: 2, PerPage: 25, Total: 26}).Showing(); got != "Showing 26 of 26" {
		t.Errorf("a page of one row: Showing() = %q", got)
	}
	if render(t, last).Find(`nav.pagination a[aria-disabled="true"]`).Text() != "Next" {
		t.Error("Next is not disabled on the last page")
	}
}

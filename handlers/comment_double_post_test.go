package handlers_test

import (
	"net/http"
	"net/url"
	"testing"
)

// A comment's form posted many times at once (a double click on Post comment, resent
// requests) makes one comment and tells those taking part once; every post is answered with
// the comments as they are, and a form that comes back refused keeps its key, so that once
// corrected it is still the one comment. The same words posted again from the form shown
// afterwards (a new key) are a new comment.
func TestCommentFormPostedAtOnceMakesOne(t *testing.T) {
	t.Parallel()
	c, db, _, doc := clerksOrder(t)
	key, _ := c.Get(doc).Doc.Find(`#comments input[name="form_key"]`).Attr("value")
	if key == "" {
		t.Fatal("the comment form carries no form_key")
	}
	c.Header.Set("HX-Request", "true")
	refused := c.Post(doc+"/comments", url.Values{"body": {" "}, "form_key": {key}})
	if kept, _ := refused.Doc.Find(`input[name="form_key"]`).Attr("value"); refused.Status != http.StatusUnprocessableEntity || kept != key {
		t.Errorf("an empty comment: %d, its form's key %q, want %q", refused.Status, kept, key)
	}
	counts := func() (comments, notes int) {
		db.Raw(`SELECT count(*) FROM comments`).Scan(&comments)
		db.Raw(`SELECT count(*) FROM notifications`).Scan(&notes)
		return comments, notes
	}
	_, notesBefore := counts()
	form := url.Values{"body": {"Delivery is expected next Tuesday."}, "form_key": {key}}
	var next string
	for i, res := range c.PostAtOnce(5, doc+"/comments", form) {
		if res.Status != http.StatusOK || res.Doc.Find(".comment").Length() != 1 {
			t.Errorf("post %d: %d with %d comments shown", i, res.Status, res.Doc.Find(".comment").Length())
		}
		next, _ = res.Doc.Find(`input[name="form_key"]`).Attr("value")
		if next == "" || next == key {
			t.Errorf("post %d: the form comes back with the key %q (posted %q)", i, next, key)
		}
	}
	comments, notes := counts()
	told := notes - notesBefore
	if comments != 1 || told == 0 {
		t.Fatalf("%d comments, %d people told; want 1 comment, told once", comments, told)
	}
	form.Set("form_key", next)
	if res := c.Post(doc+"/comments", form); res.Status != http.StatusOK || res.Doc.Find(".comment").Length() != 2 {
		t.Errorf("the same words from the form shown again: %d with %d comments shown", res.Status, res.Doc.Find(".comment").Length())
	}
	if comments, notes := counts(); comments != 2 || notes-notesBefore != 2*told {
		t.Errorf("after a second comment: %d comments, %d notifications; want 2 and %d", comments, notes-notesBefore, 2*told)
	}
}

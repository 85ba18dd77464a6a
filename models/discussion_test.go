package models_test

import (
	"context"
	"strings"
	"testing"

	"outlay"
	"outlay/internal/dbtest"
	"outlay/models"
)

// A comment of the longest length is taken; one character more is refused beside the box,
// saying the limit and how long the comment is, both as people read numbers.
func TestCommentLengthIsSaidAsItIs(t *testing.T) {
	t.Parallel()
	p := newPurchasing(t)
	r := dbtest.ApprovedRequisition(t, p.db, p.requester.ID, "", twoLines...)
	add := func(body string) error {
		_, err := models.AddComment(context.Background(), p.db, p.requesterV, models.DocRequisition, r.Requisition.ID, body, "")
		return err
	}
	if err := add(strings.Repeat("é", models.MaxCommentLength)); err != nil {
		t.Errorf("a comment of exactly %d characters: %v", models.MaxCommentLength, err)
	}
	for n, want := range map[int]string{
		models.MaxCommentLength + 1: "A comment has at most 4,000 characters; this one has 4,001.",
		12345:                       "A comment has at most 4,000 characters; this one has 12,345.",
	} {
		verr, _ := outlay.AsValidation(add(strings.Repeat("é", n)))
		if verr["body"] != want {
			t.Errorf("a comment of %d characters: %q, want %q", n, verr["body"], want)
		}
	}
}

// Every text with a length limit says the limit and the text's length the same way, and
// takes a text of exactly the limit: an approval rule's name is one.
func TestLengthLimitsAreSaidAsTheyAre(t *testing.T) {
	t.Parallel()
	db := newPurchasing(t).db
	nameError := func(n int) string {
		_, err := models.CreateApprovalRule(context.Background(), db, models.RuleInput{DocType: models.DocRequisition, Name: strings.Repeat("é", n)})
		verr, _ := outlay.AsValidation(err)
		return verr["name"]
	}
	if got := nameError(200); got != "" {
		t.Errorf("a name of exactly 200 characters: %q", got)
	}
	if got, want := nameError(1234), "A rule's name has at most 200 characters; this one has 1,234."; got != want {
		t.Errorf("a name of 1,234 characters: %q, want %q", got, want)
	}
	// A role's name is another, whether the role is made or renamed.
	ctx := context.Background()
	role, err := models.CreateRole(ctx, db, strings.Repeat("é", models.MaxRoleLabel))
	if err != nil {
		t.Fatalf("a role's name of exactly %d characters: %v", models.MaxRoleLabel, err)
	}
	roleErrors := map[string]func(string) error{
		"new role":     func(name string) error { _, err := models.CreateRole(ctx, db, name); return err },
		"renamed role": func(name string) error { return models.RenameRole(ctx, db, models.ByOperator(), role.Name, name) },
	}
	for form, save := range roleErrors {
		verr, _ := outlay.AsValidation(save(strings.Repeat("ü", 75)))
		if want := "A role's name has at most 60 characters; this one has 75."; verr["label"] != want {
			t.Errorf("a %s of 75 characters: %q, want %q", form, verr["label"], want)
		}
	}
}

package models_test

import (
	"slices"
	"testing"

	"outlay/models"
)

// Every kind of document names its participants (its own, or its route's), so that a comment
// on any kind tells those taking part in it, and the query finding them runs.
func TestEveryDocumentKindNamesItsParticipants(t *testing.T) {
	w := newApprovalWorld(t)
	for _, k := range models.DocumentKinds() {
		if k.Participants == nil && k.Approval == nil {
			t.Errorf("document kind %s has no Participants and no route: comments on it would tell nobody", k.Type)
			continue
		}
		if doc, people, err := k.TakingPart(w.db, 1); err != nil || doc.ID != 0 || len(people) != 0 {
			t.Errorf("%s participants of a document that does not exist: %+v %v %v", k.Type, doc, people, err)
		}
	}
}

// An approvable kind without Participants of its own finds, from its queue columns, the
// document's number, requester and total, and its requester and route take part.
func TestTakingPartFromTheRoute(t *testing.T) {
	w := newApprovalWorld(t)
	r := w.requisition(w.rita, &w.eng, "USD", reqLine{&w.software, 4200})
	w.submit(r)
	k, _ := models.FindDocumentKind(models.DocRequisition)
	derived := *k
	derived.Participants = nil
	doc, people, err := derived.TakingPart(w.db, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := sorted([]int64{w.max.ID, w.rita.ID})
	if doc.Number != *r.Number || doc.RequesterID != w.rita.ID || doc.Total.Minor != 4200 || doc.Total.Currency != "USD" || !slices.Equal(sorted(people), want) {
		t.Errorf("derived: %+v %v, want Rita's %s for 42.00 with Rita and Max taking part", doc, people, *r.Number)
	}
	_, own, err := k.TakingPart(w.db, r.ID)
	if err != nil || !slices.Equal(sorted(own), want) {
		t.Errorf("the requisition's own participants %v %v, want %v", own, err, want)
	}
}

func sorted(ids []int64) []int64 { slices.Sort(ids); return ids }

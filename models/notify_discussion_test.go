package models_test

import (
	"testing"

	"outlay/models"
)

// Every kind of document names its participants, so that a comment on any kind tells those
// taking part in it (a kind without would leave its comments untold), and its query runs.
func TestEveryDocumentKindNamesItsParticipants(t *testing.T) {
	w := newApprovalWorld(t)
	for _, k := range models.DocumentKinds() {
		if k.Participants == nil {
			t.Errorf("document kind %s has no Participants: comments on it would tell nobody", k.Type)
			continue
		}
		if doc, people, err := k.Participants(w.db, 1); err != nil || doc.ID != 0 || len(people) != 0 {
			t.Errorf("%s participants of a document that does not exist: %+v %v %v", k.Type, doc, people, err)
		}
	}
}

package handlers_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// A decision made through the web notifies the requester by mail once the request commits,
// with the approver's comment and a link to the document built from the public URL.
func TestDecisionsThroughTheWebMailTheRequester(t *testing.T) {
	s := newApprovalSite(t)
	r1, first := s.pending(t, 1000)
	r2, second := s.pending(t, 2000)
	if res := approvalPost(s.maxC, stepURL(first, "reject"), url.Values{"comment": {"Use the site licence"}}); res.Status != 200 {
		t.Fatalf("reject: %d", res.Status)
	}
	if res := approvalPost(s.maxC, stepURL(second, "approve"), nil); res.Status != 200 {
		t.Fatalf("approve: %d", res.Status)
	}
	s.app.WaitJobs(t)
	sent := s.app.WaitMail(t, 2)
	if len(sent) != 2 {
		t.Fatalf("%d mails, want 2: %+v", len(sent), sent)
	}
	// Jobs deliver in parallel, so the two mails may arrive in either order.
	rejected, approved := sent[0], sent[1]
	if strings.HasSuffix(rejected.Subject, " was approved") {
		rejected, approved = approved, rejected
	}
	if rejected.To != "rita@acme.example" || rejected.Subject != "Your requisition "+*r1.Number+" was rejected and returned to you" ||
		!strings.Contains(rejected.Body, "> Use the site licence") || !strings.Contains(rejected.Body, fmt.Sprintf("http://acme.localhost:8080/requisitions/%d", r1.ID)) {
		t.Errorf("rejection mail %+v", rejected)
	}
	if approved.To != "rita@acme.example" || approved.Subject != "Your requisition "+*r2.Number+" was approved" ||
		!strings.Contains(approved.Body, "Max Manager gave the last approval") {
		t.Errorf("approval mail %+v", approved)
	}
}

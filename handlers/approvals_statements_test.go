package handlers_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// maxApproveStatements is how many statements an inline approve may send to the tenant's
// database, the request's session included: the last approval of a requisition with a
// department's budget to check, its audit rows, the requester's notification and mail, and
// the row, badge and bell sent back. It was 26 before the engine stopped re-reading the step
// and looking up one by one what one statement reads, and the queue stopped being recounted
// apart from the row.
const maxApproveStatements = 16

// TestInlineApproveStatements traces an inline approve through the real handler and fails
// when it sends more statements than maxApproveStatements, listing them. Only the request's
// own statements count: the digest and upload-expiry jobs may run on the same handle meanwhile.
func TestInlineApproveStatements(t *testing.T) {
	t.Parallel()
	s := newApprovalSite(t)
	// Two waiting steps, so the badge has something left to count after the decision.
	_, first := s.pending(t, 1000)
	s.pending(t, 2000)
	log := &statementLog{}
	log.register(t, s.db)
	var res *responseSummary
	stmts := log.during(func() {
		r := approvalPost(s.maxC, stepURL(first, "approve"), nil)
		res = &responseSummary{status: r.Status, badge: r.Text("#approvals-count"), body: r.Body}
	})
	if res.status != http.StatusOK || res.badge != "1" || !strings.Contains(res.body, fmt.Sprintf(`<tbody id="step-%d"`, first)) {
		t.Fatalf("approve: %d, badge %q\n%s", res.status, res.badge, res.body)
	}
	var list strings.Builder
	for i, st := range stmts {
		fmt.Fprintf(&list, "%2d. %s\n", i+1, st)
	}
	if len(stmts) > maxApproveStatements {
		t.Errorf("an inline approve sent %d statements, at most %d allowed:\n%s", len(stmts), maxApproveStatements, list.String())
	} else {
		t.Logf("%d statements:\n%s", len(stmts), list.String())
	}
}

type responseSummary struct {
	status int
	badge  string
	body   string
}

package handlers_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"outlay/models"
)

// maxApproveStatements is how many statements an inline approve may send to the tenant's
// database, the request's session included: the last approval of a requisition of a
// department with no budget (nothing to lock or read; a budget's figures are read in
// statements of their own), its audit rows, the requester's notification and mail, and
// the row, badge and bell sent back. It was 26 before the engine stopped re-reading the step
// and looking up one by one what one statement reads, and the queue stopped being recounted
// apart from the row; 16 before the requester, and the resolving of the step's waiting
// notifications, came with the step read under the lock, and a notice's mail and
// notification were written in one statement; 13 before the response read the decided
// step from its own kind's documents alone and the requester's sight of their own document
// came with their permissions; 12 before the budgets' lock came with the step, and 11
// before a department without budgets was neither locked nor read for them; 10 before a
// requisition's lines came with its lock.
const maxApproveStatements = 9

// TestInlineApproveStatements traces an inline approve through the real handler and fails
// when it sends more statements than maxApproveStatements, listing them. Only the request's
// own statements count: the digest and upload-expiry jobs may run on the same handle meanwhile.
func TestInlineApproveStatements(t *testing.T) {
	t.Parallel()
	s := newApprovalSite(t)
	// Two waiting steps, so the badge has something left to count after the decision.
	req, first := s.pending(t, 1000)
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
	// Fewer statements, the same effects: both changes audited, the requester told in the
	// app and by mail.
	var audited, notices, mails int64
	s.db.Raw(`SELECT count(*) FROM audit_log WHERE action = 'update' AND new ->> 'status' = 'approved'
		AND ((table_name = 'approval_steps' AND record_id = ?) OR (table_name = 'requisitions' AND record_id = ?))`,
		strconv.FormatInt(first, 10), strconv.FormatInt(req.ID, 10)).Scan(&audited)
	s.db.Raw(`SELECT count(*) FROM notifications WHERE recipient_id = ? AND kind = ? AND doc_id = ?`, s.rita.ID, models.MailDecided, req.ID).
		Scan(&notices)
	s.db.Raw(`SELECT count(*) FROM mail_outbox WHERE recipient = 'rita@acme.example' AND kind = ?`, models.MailDecided).Scan(&mails)
	if audited != 2 || notices != 1 || mails != 1 {
		t.Errorf("after the approval: %d audited updates (want 2), %d notifications and %d mails to the requester (want 1 each)",
			audited, notices, mails)
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

package handlers_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"gorm.io/gorm"
)

// statementLog keeps every statement sent through a tenant's GORM handle while it is on:
// reads, writes, raw statements and savepoints alike.
type statementLog struct {
	mu  sync.Mutex
	on  bool
	got []string
}

func (l *statementLog) register(t *testing.T, db *gorm.DB) {
	t.Helper()
	record := func(tx *gorm.DB) {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.on {
			l.got = append(l.got, strings.Join(strings.Fields(tx.Statement.SQL.String()), " "))
		}
	}
	cb := db.Callback()
	for name, p := range map[string]interface {
		Register(string, func(*gorm.DB)) error
	}{
		"gorm:create": cb.Create().After("gorm:create"), "gorm:query": cb.Query().After("gorm:query"),
		"gorm:update": cb.Update().After("gorm:update"), "gorm:delete": cb.Delete().After("gorm:delete"),
		"gorm:row": cb.Row().After("gorm:row"), "gorm:raw": cb.Raw().After("gorm:raw"),
	} {
		if err := p.Register("statementlog:record", record); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	t.Cleanup(func() {
		_ = cb.Create().Remove("statementlog:record")
		_ = cb.Query().Remove("statementlog:record")
		_ = cb.Update().Remove("statementlog:record")
		_ = cb.Delete().Remove("statementlog:record")
		_ = cb.Row().Remove("statementlog:record")
		_ = cb.Raw().Remove("statementlog:record")
	})
}

// during returns the statements fn sent.
func (l *statementLog) during(fn func()) []string {
	l.mu.Lock()
	l.on, l.got = true, nil
	l.mu.Unlock()
	fn()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.on = false
	return l.got
}

// maxApproveStatements is how many statements an inline approve may send to the tenant's
// database, the request's session included: the last approval of a requisition with a
// department's budget to check, its audit rows, the requester's notification and mail, and
// the row, badge and bell sent back. It was 26 before the engine stopped re-reading the step
// and looking up one by one what one statement reads, and the queue stopped being recounted
// apart from the row.
const maxApproveStatements = 16

// TestInlineApproveStatements traces an inline approve through the real handler and fails
// when it sends more statements than maxApproveStatements, listing them.
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

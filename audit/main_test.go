package audit_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"gorm.io/gorm"

	"outlay/audit"
	"outlay/internal/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// record is an audit_log row as tests read it.
type record struct {
	ID         int64
	ActorType  string
	ActorID    int64
	ActorLabel string
	Action     string
	Event      string
	Subject    string
	TableName  string
	RecordID   string
	Old, New   map[string]any
	Details    map[string]any
	Changed    []string
	RequestID  string
	IP         string
}

// lastID is the newest record's id: records made after it are the test's.
func lastID(t testing.TB, db *gorm.DB) int64 {
	t.Helper()
	var id int64
	if err := db.Raw(`SELECT coalesce(max(id), 0) FROM audit_log`).Scan(&id).Error; err != nil {
		t.Fatal(err)
	}
	return id
}

// since returns the records written after id, oldest first.
func since(t testing.TB, db *gorm.DB, id int64) []record {
	t.Helper()
	var rows []struct {
		ID                                  int64
		ActorType                           string
		ActorID                             int64
		ActorLabel, Action                  string
		Event, Subject, TableName, RecordID *string
		Old, New, Details, Changed          *string
		RequestID, IP                       string
	}
	err := db.Raw(`SELECT id, actor_type, actor_id, actor_label, action, event, subject, table_name, record_id,
		old::text AS old, new::text AS new, details::text AS details, array_to_json(changed)::text AS changed, request_id, ip
		FROM audit_log WHERE id > ? ORDER BY id`, id).Scan(&rows).Error
	if err != nil {
		t.Fatal(err)
	}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	var out []record
	for _, r := range rows {
		rec := record{ID: r.ID, ActorType: r.ActorType, ActorID: r.ActorID, ActorLabel: r.ActorLabel, Action: r.Action,
			Event: str(r.Event), Subject: str(r.Subject), TableName: str(r.TableName), RecordID: str(r.RecordID),
			RequestID: r.RequestID, IP: r.IP}
		for _, f := range []struct {
			src *string
			dst any
		}{{r.Old, &rec.Old}, {r.New, &rec.New}, {r.Details, &rec.Details}, {r.Changed, &rec.Changed}} {
			if f.src != nil {
				if err := json.Unmarshal([]byte(*f.src), f.dst); err != nil {
					t.Fatal(err)
				}
			}
		}
		out = append(out, rec)
	}
	return out
}

// expectOne fails unless exactly one record was written after mark, and returns it.
func expectOne(t testing.TB, db *gorm.DB, mark int64, what string) record {
	t.Helper()
	recs := since(t, db, mark)
	if len(recs) != 1 {
		t.Fatalf("%s: %d audit records, want 1: %+v", what, len(recs), recs)
	}
	return recs[0]
}

// checkChange fails unless rec records action on table's record id, changing exactly the
// columns changed.
func checkChange(t testing.TB, rec record, action, table, id string, changed ...string) {
	t.Helper()
	slices.Sort(changed)
	if rec.Action != action || rec.TableName != table || rec.RecordID != id || !slices.Equal(rec.Changed, changed) {
		t.Errorf("record %d: %s %s %q changed %v; want %s %s %q changed %v", rec.ID,
			rec.Action, rec.TableName, rec.RecordID, rec.Changed, action, table, id, changed)
	}
	switch action {
	case "create":
		if rec.Old != nil || rec.New == nil {
			t.Errorf("record %d (create): old %v, new %v; want only new values", rec.ID, rec.Old, rec.New)
		}
	case "update":
		if rec.Old == nil || rec.New == nil {
			t.Errorf("record %d (update): old %v, new %v; want both", rec.ID, rec.Old, rec.New)
		}
	}
}

// value is a column's recorded value before (old) or after.
func value(t testing.TB, rec record, old bool, column string) any {
	t.Helper()
	m := rec.New
	if old {
		m = rec.Old
	}
	v, ok := m[column]
	if !ok {
		t.Fatalf("record %d has no %s value for %s: %v", rec.ID, map[bool]string{true: "old", false: "new"}[old], column, m)
	}
	return v
}

// asUser is a context whose changes are Ana's, from one request.
func asUser() context.Context {
	return audit.WithActor(context.Background(), audit.Actor{Type: audit.ActorUser, ID: 7, Label: "ana@acme.example", RequestID: "req-0001", IP: "192.0.2.1"})
}

func checkActor(t testing.TB, rec record) {
	t.Helper()
	if rec.ActorType != "user" || rec.ActorID != 7 || rec.ActorLabel != "ana@acme.example" || rec.RequestID != "req-0001" || rec.IP != "192.0.2.1" {
		t.Errorf("record %d actor: %s %d %q request %q ip %q; want Ana's request", rec.ID, rec.ActorType, rec.ActorID, rec.ActorLabel, rec.RequestID, rec.IP)
	}
}

func mustExec(t testing.TB, db *gorm.DB, sql string, args ...any) {
	t.Helper()
	if err := db.Exec(sql, args...).Error; err != nil {
		t.Fatalf("%s: %v", strings.TrimSpace(sql), err)
	}
}

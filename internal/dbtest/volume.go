package dbtest

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"gorm.io/gorm"
)

// Volume is the shape of the data SeedVolume stores: the volume at which list pages are
// measured and their query plans checked.
type Volume struct {
	People, Vendors, Requisitions, Orders, AuditRows, Notifications int
	// Approver is a person with ApproverPending requisitions waiting at their step.
	Approver        int64
	ApproverPending int
	// Others is how many expense reports, trips and bills are stored, each.
	Others int
}

// DefaultVolume is a tenant a few years into use: 5,000 people, 10,000 requisitions of three
// lines, 5,000 vendors and orders, 100,000 audit rows, and an approver with 1,500
// requisitions waiting.
func DefaultVolume(approver int64) Volume {
	return Volume{People: 5000, Vendors: 5000, Requisitions: 10000, Orders: 5000, AuditRows: 100000,
		Notifications: 20000, Approver: approver, ApproverPending: 1500, Others: 5000}
}

// SeedVolume stores v in a tenant database by set-based SQL, in seconds, then vacuums and
// analyzes it so that the planner sees the tables as a tenant in use has them. The rows are
// plausible for lists (statuses, people, departments and dates spread out), not documents
// that the app could act on: triggers and foreign keys are off while it writes (the audit
// rows carry no valid chain), so use it only for plans and read benchmarks.
func SeedVolume(t testing.TB, db *gorm.DB, v Volume) {
	t.Helper()
	stmts := []struct {
		sql  string
		args []any
	}{
		{sql: `SET LOCAL session_replication_role = replica`},
		{sql: `INSERT INTO departments (name) SELECT 'Department ' || i FROM generate_series(1, 20) i`},
		{sql: `INSERT INTO users (email, name, password_hash, status)
			SELECT 'person' || i || '@volume.example', 'Person ' || i, 'x', 'active' FROM generate_series(1, ?) i`, args: []any{v.People}},
		{sql: `INSERT INTO user_roles (user_id, role) SELECT id, 'requester' FROM users WHERE email LIKE '%@volume.example'`},
		{sql: `INSERT INTO vendors (name, email, currency, status, archived_at)
			SELECT 'Vendor ' || substr(md5(i::text), 1, 10), 'billing' || i || '@vendor.example', 'USD',
				CASE WHEN i % 50 = 0 THEN 'on_hold' ELSE 'active' END, CASE WHEN i % 97 = 0 THEN now() END
			FROM generate_series(1, ?) i`, args: []any{v.Vendors}},
		// People and departments by number: person i % People, department i % 20.
		{sql: `CREATE TEMP TABLE volume_people ON COMMIT DROP AS
			SELECT row_number() OVER (ORDER BY id) - 1 AS n, id FROM users WHERE email LIKE '%@volume.example'`},
		{sql: `CREATE TEMP TABLE volume_departments ON COMMIT DROP AS
			SELECT row_number() OVER (ORDER BY id) - 1 AS n, id FROM departments`},
		{sql: `CREATE TEMP TABLE volume_vendors ON COMMIT DROP AS
			SELECT row_number() OVER (ORDER BY id) - 1 AS n, id FROM vendors`},
		// Requisitions: the first Orders are ordered, then ApproverPending wait for the
		// approver, then the rest spread over every status.
		{sql: `INSERT INTO requisitions (number, requester_id, department_id, vendor_id, justification, currency,
				subtotal_minor, total_minor, status, submitted_at, decided_at, created_at, updated_at)
			SELECT 'REQ-' || lpad(i::text, 6, '0'), p.id, d.id, ve.id, 'Supplies ' || substr(md5(i::text), 1, 8), 'USD',
				(i * 137) % 1000000 + 300, (i * 137) % 1000000 + 300,
				CASE WHEN i <= @orders THEN 'ordered' WHEN i <= @orders + @pending THEN 'pending'
					ELSE (ARRAY['draft', 'pending', 'approved', 'rejected', 'withdrawn', 'cancelled'])[1 + i % 6] END,
				CASE WHEN i <= @orders + @pending OR i % 6 <> 0 THEN now() - make_interval(mins => i) END,
				CASE WHEN i <= @orders OR i % 6 IN (2, 3) THEN now() - make_interval(mins => i) END,
				now() - make_interval(mins => i + 60), now() - make_interval(mins => i)
			FROM generate_series(1, @requisitions) i
			JOIN volume_people p ON p.n = i % @people
			JOIN volume_departments d ON d.n = i % 20
			JOIN volume_vendors ve ON ve.n = i % @vendors`},
		{sql: `INSERT INTO requisition_lines (requisition_id, position, description, quantity_milli, unit_price_minor, amount_minor)
			SELECT r.id, p, 'Item ' || p, 1000, r.total_minor / 3, r.total_minor / 3
			FROM requisitions r, generate_series(1, 3) p`},
		// Every submitted requisition has a route of two steps; the approver's are waiting at
		// the second, the rest were decided by the requester's neighbour.
		{sql: `INSERT INTO approval_steps (doc_type, doc_id, doc_total_minor, doc_requester_id, round, position, kind, approver_id, status, acted_by, acted_at)
			SELECT 'requisition', r.id, r.total_minor, r.requester_id, 1, p, 'user',
				CASE WHEN r.status = 'pending' AND p = 2 AND r.number <= 'REQ-' || lpad((@orders + @pending)::text, 6, '0')
					THEN @approver ELSE (SELECT id FROM volume_people WHERE n = (r.id % @people + 1) % @people) END,
				CASE WHEN r.status = 'pending' THEN (CASE WHEN p = 1 THEN 'approved' ELSE 'pending' END)
					WHEN r.status IN ('withdrawn', 'cancelled') THEN 'cancelled'
					WHEN r.status = 'rejected' AND p = 2 THEN 'rejected' ELSE 'approved' END,
				CASE WHEN r.status NOT IN ('withdrawn', 'cancelled') AND (r.status <> 'pending' OR p = 1)
					THEN (SELECT id FROM volume_people WHERE n = (r.id % @people + 1) % @people) END,
				CASE WHEN r.status NOT IN ('withdrawn', 'cancelled') AND (r.status <> 'pending' OR p = 1) THEN r.updated_at END
			FROM requisitions r, generate_series(1, 2) p WHERE r.status <> 'draft'`},
		{sql: `INSERT INTO purchase_orders (number, requisition_id, vendor_id, currency, subtotal_minor, tax_minor, total_minor,
				status, created_by, created_at, updated_at)
			SELECT 'PO-' || substr(r.number, 5), r.id, r.vendor_id, 'USD', r.total_minor, 0, r.total_minor,
				(ARRAY['open', 'partially_received', 'received', 'closed'])[1 + r.id % 4], r.requester_id, r.decided_at, r.decided_at
			FROM requisitions r WHERE r.status = 'ordered'`},
		{sql: `INSERT INTO purchase_order_lines (purchase_order_id, requisition_line_id, position, description, quantity_milli,
				unit_price_minor, amount_minor)
			SELECT o.id, l.id, l.position, l.description, l.quantity_milli, l.unit_price_minor, l.amount_minor
			FROM purchase_orders o JOIN requisition_lines l ON l.requisition_id = o.requisition_id`},
		{sql: `INSERT INTO expense_reports (number, owner_id, department_id, title, currency, total_minor, status, submitted_at, created_at, updated_at)
			SELECT CASE WHEN i % 6 <> 0 THEN 'EXP-' || lpad(i::text, 6, '0') END, p.id, d.id, 'Trip costs ' || i, 'USD', i * 31 % 100000,
				(ARRAY['draft', 'submitted', 'approved', 'returned', 'scheduled', 'paid'])[1 + i % 6],
				CASE WHEN i % 6 <> 0 THEN now() - make_interval(mins => i) END,
				now() - make_interval(mins => i + 60), now() - make_interval(mins => i)
			FROM generate_series(1, @others) i JOIN volume_people p ON p.n = i % @people JOIN volume_departments d ON d.n = i % 20`},
		{sql: `INSERT INTO travel_requests (number, traveller_id, filed_by_id, department_id, purpose, currency, destinations,
				status, submitted_at, created_at, updated_at)
			SELECT CASE WHEN i % 5 <> 0 THEN 'TRV-' || lpad(i::text, 6, '0') END, p.id, p.id, d.id, 'Visit ' || i, 'USD', 'Paris, Berlin',
				(ARRAY['draft', 'submitted', 'approved', 'rejected', 'withdrawn'])[1 + i % 5],
				CASE WHEN i % 5 <> 0 THEN now() - make_interval(mins => i) END,
				now() - make_interval(mins => i + 60), now() - make_interval(mins => i)
			FROM generate_series(1, @others) i JOIN volume_people p ON p.n = i % @people JOIN volume_departments d ON d.n = i % 20`},
		{sql: `INSERT INTO bills (number, vendor_id, vendor_invoice_number, invoice_date, due_date, currency, subtotal_minor, total_minor,
				status, entered_by_id, submitted_at, voided_by_id, voided_at, void_reason, created_at, updated_at)
			SELECT 'BILL-' || lpad(i::text, 6, '0'), ve.id, 'INV-' || i, current_date - i % 400, current_date - i % 400 + 30, 'USD',
				i * 53 % 100000, i * 53 % 100000,
				(ARRAY['draft', 'submitted', 'approved', 'rejected', 'partially_paid', 'paid', 'void'])[1 + i % 7], p.id,
				CASE WHEN i % 7 <> 0 THEN now() - make_interval(mins => i) END,
				CASE WHEN i % 7 = 6 THEN p.id END, CASE WHEN i % 7 = 6 THEN now() END, CASE WHEN i % 7 = 6 THEN 'Sent twice' ELSE '' END,
				now() - make_interval(mins => i + 60), now() - make_interval(mins => i)
			FROM generate_series(1, @others) i JOIN volume_people p ON p.n = i % @people JOIN volume_vendors ve ON ve.n = i % @vendors`},
		{sql: `INSERT INTO notifications (recipient_id, kind, doc_type, doc_id, title, link_path, created_at, read_at)
			SELECT CASE WHEN i % 10 = 0 THEN @approver ELSE p.id END, 'notify_step_waiting', 'requisition', i,
				'Requisition ' || i || ' waits for you', '/requisitions/' || i, now() - make_interval(mins => i),
				CASE WHEN i % 3 = 0 THEN now() END
			FROM generate_series(1, @notifications) i JOIN volume_people p ON p.n = i % @people`},
		// Audit rows after whatever the tenant already holds (the chain trigger is off, so ids
		// are given here and the hashes are placeholders), in a log's proportions: mostly
		// changes of requisitions, 12% records made, 1% deleted, 2% sign-ins; orders, bills and
		// expense reports a tenth each, people 5%, vendors 2%.
		{sql: `INSERT INTO audit_log (id, at, actor_type, actor_id, actor_label, action, event, subject, table_name, record_id,
				new, changed, prev_hash, hash)
			SELECT h.head + i, now() - make_interval(secs => @audit - i), 'user', p.id, 'person@volume.example',
				CASE WHEN i % 100 = 0 THEN 'delete' WHEN i % 100 IN (1, 2) THEN 'event' WHEN i % 100 < 15 THEN 'create' ELSE 'update' END,
				CASE WHEN i % 100 IN (1, 2) THEN 'signin.success' END, CASE WHEN i % 100 IN (1, 2) THEN 'person@volume.example' END,
				CASE WHEN i % 100 IN (1, 2) THEN NULL WHEN i % 50 = 5 THEN 'vendors' WHEN i % 20 = 9 THEN 'users'
					ELSE (ARRAY['requisitions', 'requisitions', 'requisitions', 'requisitions', 'requisitions', 'requisitions', 'requisitions',
						'purchase_orders', 'bills', 'expense_reports'])[1 + i % 10] END,
				CASE WHEN i % 100 NOT IN (1, 2) THEN (1 + i % 5000)::text END,
				'{"status": "approved"}', ARRAY['status'], '\x00'::bytea, '\x00'::bytea
			FROM (SELECT coalesce(max(id), 0) AS head FROM audit_log) h, generate_series(1, @audit) i
			JOIN volume_people p ON p.n = i % @people`},
	}
	// The numbers are written into the statements (they are the test's, never input).
	numbers := strings.NewReplacer("@orders", strconv.Itoa(v.Orders), "@pending", strconv.Itoa(v.ApproverPending),
		"@requisitions", strconv.Itoa(v.Requisitions), "@people", strconv.Itoa(v.People), "@vendors", strconv.Itoa(v.Vendors),
		"@approver", strconv.FormatInt(v.Approver, 10), "@others", strconv.Itoa(v.Others),
		"@notifications", strconv.Itoa(v.Notifications), "@audit", strconv.Itoa(v.AuditRows))
	err := db.Transaction(func(tx *gorm.DB) error {
		for i, s := range stmts {
			if err := tx.Exec(numbers.Replace(s.sql), s.args...).Error; err != nil {
				return fmt.Errorf("statement %d: %w", i+1, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("seed the volume: %v", err)
	}
	if err := db.Exec(`VACUUM ANALYZE`).Error; err != nil {
		t.Fatalf("vacuum the volume: %v", err)
	}
}

package main

import (
	"context"
	"testing"

	"outlay/audit"
	"outlay/internal/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// TestSeedMakesTheAdvertisedVolume seeds a tenant at a small volume and counts what it made:
// every table the load reads holds exactly what the volume says, the approver's queue is the
// pending steps, and the audit log, filled by COPY, still verifies as one unbroken chain.
func TestSeedMakesTheAdvertisedVolume(t *testing.T) {
	t.Parallel()
	env, tn := dbtest.NewTenant(t)
	v := VolumeAt(0.02) // 200 requisitions, 100 vendors and orders, 2,000 audit rows, 30 pending
	if v.Requisitions != 200 || v.Orders != 100 || v.AuditRows != 2000 || v.Pending != 30 {
		t.Fatalf("VolumeAt(0.02) = %+v", v)
	}
	ctx := context.Background()
	s, err := seedTenant(ctx, tn, env.Config.SecretKey, v, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	db := env.DB(t, tn)
	count := func(q string, args ...any) int64 {
		t.Helper()
		var n int64
		if err := db.Raw(q, args...).Scan(&n).Error; err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	for _, c := range []struct {
		what      string
		got, want int64
	}{
		{"requisitions", count(`SELECT count(*) FROM requisitions`), int64(v.Requisitions)},
		{"requisition lines", count(`SELECT count(*) FROM requisition_lines`), int64(v.Requisitions * v.LinesPer)},
		{"vendors", count(`SELECT count(*) FROM vendors`), int64(v.Vendors)},
		{"purchase orders", count(`SELECT count(*) FROM purchase_orders`), int64(v.Orders)},
		{"ordered requisitions", count(`SELECT count(*) FROM requisitions WHERE status = 'ordered'`), int64(v.Orders)},
		{"order lines", count(`SELECT count(*) FROM purchase_order_lines`), int64(v.Orders * v.LinesPer)},
		{"seeded audit rows", count(`SELECT count(*) FROM audit_log WHERE request_id LIKE 'bench-%'`), int64(v.AuditRows)},
		{"approver's pending steps", count(`SELECT count(*) FROM approval_steps WHERE status = 'pending' AND approver_id = ?`, s.ApproverID), int64(v.Pending)},
		{"pending requisitions", count(`SELECT count(*) FROM requisitions WHERE status = 'pending'`), int64(v.Pending)},
		{"requesters reporting to the approver", count(`SELECT count(*) FROM users WHERE manager_id = ?`, s.ApproverID), int64(v.People + 1)},
		{"steps listed for the load", int64(len(s.PendingSteps)), int64(v.Pending)},
		{"the approver's notifications, one per submitted requisition", count(`SELECT count(*) FROM notifications WHERE recipient_id = ? AND kind = 'notify_step_waiting'`, s.ApproverID),
			count(`SELECT count(*) FROM requisitions WHERE status <> 'draft'`)},
		{"the approver's unread notifications", count(`SELECT count(*) FROM notifications WHERE recipient_id = ? AND read_at IS NULL`, s.ApproverID), 20},
		{"the approver's unread ones, all waiting", count(`SELECT count(*) FROM notifications n JOIN requisitions r ON r.id = n.doc_id
			WHERE n.recipient_id = ? AND n.read_at IS NULL AND r.status = 'pending'`, s.ApproverID), 20},
		{"requesters' notifications of decisions, read", count(`SELECT count(*) FROM notifications WHERE kind = 'notify_decided' AND read_at IS NOT NULL`),
			count(`SELECT count(*) FROM requisitions WHERE status NOT IN ('draft', 'pending')`)},
		{"lines whose amounts add up to their requisition's total",
			count(`SELECT count(*) FROM requisitions r WHERE total_minor = (SELECT sum(amount_minor) FROM requisition_lines l WHERE l.requisition_id = r.id)`), int64(v.Requisitions)},
	} {
		if c.got != c.want {
			t.Errorf("%s: %d, want %d", c.what, c.got, c.want)
		}
	}
	if s.DetailID == 0 {
		t.Error("no requisition of the requester's chosen for the detail page")
	}
	res, err := audit.Verify(ctx, db, env.AuditKey(t, tn))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Intact() || res.Rows < int64(v.AuditRows) {
		t.Fatalf("audit log after seeding: %s (%d rows read)", res, res.Rows)
	}
}

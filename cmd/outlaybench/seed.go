package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"outlay"
	"outlay/audit"
	"outlay/models"
	"outlay/policy"
	"outlay/tenancy"
)

// Volume is how much one tenant holds. The requisitions' statuses come in fixed shares
// (Pending of them wait for the approver, Orders became purchase orders, and of the rest about
// a tenth are drafts, a tenth rejected and the others approved), so the counts stay exact.
type Volume struct {
	Requisitions int // each with LinesPer lines
	LinesPer     int
	Vendors      int
	Orders       int // purchase orders, each made from one ordered requisition, with its lines
	AuditRows    int // audit log rows, chained by the database's own trigger
	Pending      int // requisitions waiting for the approver: the approver's queue
	People       int // requesters the requisitions are spread over (besides the bench users)
}

// VolumeAt is the volume times scale: 10,000 requisitions of 3 lines, 5,000 vendors,
// 5,000 orders, 100,000 audit rows and an approver with 1,500 pending steps at scale 1.
func VolumeAt(scale float64) Volume {
	n := func(base int) int { return max(int(float64(base)*scale), 1) }
	return Volume{Requisitions: n(10_000), LinesPer: 3, Vendors: n(5_000), Orders: n(5_000), AuditRows: n(100_000), Pending: n(1_500), People: n(200)}
}

// Validate says what makes a volume impossible to seed.
func (v Volume) Validate() error {
	if v.Orders+v.Pending > v.Requisitions {
		return fmt.Errorf("volume: %d orders and %d pending need at least as many requisitions (have %d)", v.Orders, v.Pending, v.Requisitions)
	}
	if v.LinesPer < 1 || v.Vendors < 1 || v.People < 1 {
		return fmt.Errorf("volume: lines per requisition, vendors and people must be at least 1")
	}
	return nil
}

// The bench's own people: they sign in. Everyone else the seed makes has no password.
const (
	financeEmail   = "finance@bench.example"   // admin, auditor, AP clerk: every list
	approverEmail  = "approver@bench.example"  // the approver with the long queue
	requesterEmail = "requester@bench.example" // submits, and owns a tenth of the requisitions
	benchPassword  = "bench password 2026 correct horse"
)

// Seeded is what the seed made that the load needs to know.
type Seeded struct {
	FinanceID, ApproverID, RequesterID int64
	DepartmentID, VendorID, GLID       int64
	// A requisition the requester owns, for the detail page.
	DetailID int64
	// The approver's pending steps, oldest first.
	PendingSteps []int64
	Took         time.Duration
}

// seedTenant fills a fresh tenant at volume v. The three bench users are made through the
// models (so their passwords, roles and audit rows are real); everything else goes in by COPY
// on one connection carrying the tenant's audit key, so that the audit rows are numbered and
// hashed by the database's chain trigger exactly as the app's own rows are.
// logf, when set, hears how long each table took.
func seedTenant(ctx context.Context, t tenancy.Tenant, secret []byte, v Volume, logf func(format string, args ...any)) (*Seeded, error) {
	if err := v.Validate(); err != nil {
		return nil, err
	}
	start := time.Now()
	s := &Seeded{}
	db, closeDB, err := tenancy.OpenOne(ctx, t, secret)
	if err != nil {
		return nil, err
	}
	err = seedUsers(audit.WithActor(ctx, audit.Actor{Type: audit.ActorSystem, Label: "outlaybench"}), db, s)
	closeDB()
	if err != nil {
		return nil, fmt.Errorf("seed users: %w", err)
	}
	cfg, err := auditedConnConfig(t, secret)
	if err != nil {
		return nil, err
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if logf == nil {
		logf = func(string, ...any) {}
	}
	logf("users made through the models in %s", time.Since(start).Round(time.Millisecond))
	if err := seedCopy(ctx, &copier{conn: conn, logf: logf}, v, s); err != nil {
		return nil, err
	}
	// Fresh statistics and visibility map, as autovacuum would have them on a tenant that grew
	// slowly: rows just copied are not yet known all-visible, so without the vacuum an
	// index-only scan visits the table for every entry (the dashboard's to-order count read
	// 2,800 rows of requisitions, 0.5-4.8 ms, against 0.25 ms after a vacuum).
	if _, err := conn.Exec(ctx, "VACUUM ANALYZE"); err != nil {
		return nil, err
	}
	s.Took = time.Since(start)
	return s, nil
}

// auditedConnConfig is the connection configuration of the tenant's database carrying its
// audit key, as the app's connections do (the chain trigger refuses rows without it).
func auditedConnConfig(t tenancy.Tenant, secret []byte) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(t.DSN)
	if err != nil {
		return nil, err
	}
	params, err := audit.ConnectionParameters(secret, t.Slug)
	if err != nil {
		return nil, err
	}
	for k, val := range params {
		cfg.RuntimeParams[k] = val
	}
	// The server's settings too, so that the floors replay the pages' SQL as it runs there.
	for k, val := range tenancy.SessionSettings {
		cfg.RuntimeParams[k] = val
	}
	return cfg, nil
}

func seedUsers(ctx context.Context, db *gorm.DB, s *Seeded) error {
	fin, err := models.CreateUser(ctx, db, models.NewUser{Email: financeEmail, Name: "Fiona Finance", Password: benchPassword,
		Roles: []string{policy.RoleAdmin, policy.RoleAuditor, policy.RoleAPClerk}})
	if err != nil {
		return err
	}
	appr, err := models.CreateUser(ctx, db, models.NewUser{Email: approverEmail, Name: "Arthur Approver", Password: benchPassword,
		Roles: []string{policy.RoleApprover}})
	if err != nil {
		return err
	}
	req, err := models.CreateUser(ctx, db, models.NewUser{Email: requesterEmail, Name: "Rita Requester", Password: benchPassword,
		Roles: []string{policy.RoleRequester}, ManagerID: &appr.ID})
	if err != nil {
		return err
	}
	s.FinanceID, s.ApproverID, s.RequesterID = fin.ID, appr.ID, req.ID
	return nil
}

// copier copies rows on one connection, saying how long each table took.
type copier struct {
	conn *pgx.Conn
	logf func(format string, args ...any)
}

// copyRows copies rows into table's columns and checks that all of them went in.
func (c *copier) copyRows(ctx context.Context, table string, columns []string, rows [][]any) error {
	t0 := time.Now()
	n, err := c.conn.CopyFrom(ctx, pgx.Identifier{table}, columns, pgx.CopyFromRows(rows))
	if err != nil {
		return fmt.Errorf("copy %s: %w", table, err)
	}
	if int(n) != len(rows) {
		return fmt.Errorf("copy %s: %d rows copied of %d", table, n, len(rows))
	}
	c.logf("%s: %d rows in %s", table, n, time.Since(t0).Round(time.Millisecond))
	return nil
}

// copyIDs copies rows into a table whose ids the database assigns, and returns the ids in the
// order of rows (one COPY on one connection takes consecutive values of the identity).
func (c *copier) copyIDs(ctx context.Context, table string, columns []string, rows [][]any) ([]int64, error) {
	var before int64
	if err := c.conn.QueryRow(ctx, "SELECT coalesce(max(id), 0) FROM "+pgx.Identifier{table}.Sanitize()).Scan(&before); err != nil {
		return nil, err
	}
	if err := c.copyRows(ctx, table, columns, rows); err != nil {
		return nil, err
	}
	r, err := c.conn.Query(ctx, "SELECT id FROM "+pgx.Identifier{table}.Sanitize()+" WHERE id > $1 ORDER BY id", before)
	if err != nil {
		return nil, err
	}
	ids, err := pgx.CollectRows(r, pgx.RowTo[int64])
	if err != nil {
		return nil, err
	}
	if len(ids) != len(rows) {
		return nil, fmt.Errorf("copy %s: found %d new ids for %d rows", table, len(ids), len(rows))
	}
	return ids, nil
}

func seedCopy(ctx context.Context, c *copier, v Volume, s *Seeded) error {
	rng := rand.New(rand.NewPCG(2026, 23))
	now := time.Now().UTC().Truncate(time.Second)
	year := now.AddDate(-1, 0, 0)
	at := func(i, n int) time.Time { // spread over the past year, in order of i
		return year.Add(time.Duration(float64(now.Sub(year)) * float64(i) / float64(n+1)))
	}

	// Reference data.
	var rows [][]any
	for i := range 12 {
		rows = append(rows, []any{fmt.Sprintf("Department %02d", i+1), fmt.Sprintf("D%02d", i+1)})
	}
	depts, err := c.copyIDs(ctx, "departments", []string{"name", "code"}, rows)
	if err != nil {
		return err
	}
	rows = nil
	for i := range 30 {
		rows = append(rows, []any{fmt.Sprintf("%d", 6000+i*10), fmt.Sprintf("Account %02d", i+1)})
	}
	gls, err := c.copyIDs(ctx, "gl_accounts", []string{"code", "name"}, rows)
	if err != nil {
		return err
	}
	rows = nil
	for i := range v.Vendors {
		status := "active"
		if i%10 == 9 {
			status = "on_hold"
		}
		rows = append(rows, []any{fmt.Sprintf("Vendor %06d Ltd", i+1), fmt.Sprintf("Contact %d", i+1), fmt.Sprintf("sales%d@vendor%d.example", i+1, i+1),
			"USD", status, 30})
	}
	vendors, err := c.copyIDs(ctx, "vendors", []string{"name", "contact_name", "email", "currency", "status", "payment_terms_days"}, rows)
	if err != nil {
		return err
	}
	activeVendor := func() int64 { // vendors at index 9, 19, ... are on hold
		for {
			i := rng.IntN(len(vendors))
			if i%10 != 9 {
				return vendors[i]
			}
		}
	}
	s.DepartmentID, s.GLID, s.VendorID = depts[0], gls[0], vendors[0]

	// Requesters without passwords, who report to the approver.
	rows = nil
	for i := range v.People {
		rows = append(rows, []any{fmt.Sprintf("person%05d@bench.example", i+1), fmt.Sprintf("Person %05d", i+1), "active", depts[i%len(depts)], s.ApproverID})
	}
	people, err := c.copyIDs(ctx, "users", []string{"email", "name", "status", "department_id", "manager_id"}, rows)
	if err != nil {
		return err
	}
	rows = nil
	for _, id := range people {
		rows = append(rows, []any{id, policy.RoleRequester})
	}
	if err := c.copyRows(ctx, "user_roles", []string{"user_id", "role"}, rows); err != nil {
		return err
	}

	// Requisitions: the first Orders are ordered, the next Pending wait for the approver, and
	// the rest are drafts, rejected or approved. Every tenth belongs to the bench requester.
	type req struct {
		status    string
		requester int64
		vendor    int64
		total     int64
		created   time.Time
		number    *string
	}
	reqs := make([]req, v.Requisitions)
	rows = nil
	var lineRows [][]any
	for i := range reqs {
		r := &reqs[i]
		switch {
		case i < v.Orders:
			r.status = outlay.RequisitionOrdered
		case i < v.Orders+v.Pending:
			r.status = outlay.RequisitionPending
		case i%10 == 1:
			r.status = outlay.RequisitionDraft
		case i%10 == 2:
			r.status = outlay.RequisitionRejected
		default:
			r.status = outlay.RequisitionApproved
		}
		r.requester = people[i%len(people)]
		if i%10 == 0 {
			r.requester = s.RequesterID
		}
		r.vendor = activeVendor()
		r.created = at(i, len(reqs))
		if r.status != outlay.RequisitionDraft {
			n := fmt.Sprintf("REQ-%06d", i+1)
			r.number = &n
		}
		for p := range v.LinesPer {
			qty := int64(1000 * (1 + rng.IntN(5)))
			price := int64(500 + rng.IntN(200_000))
			amount := qty * price / 1000
			r.total += amount
			lineRows = append(lineRows, []any{p + 1, fmt.Sprintf("Item %d of requisition %d", p+1, i+1), qty, price, gls[rng.IntN(len(gls))], amount, r.created})
		}
		var submitted, decided any
		if r.status != outlay.RequisitionDraft {
			submitted = r.created.Add(time.Hour)
		}
		if r.status != outlay.RequisitionDraft && r.status != outlay.RequisitionPending {
			decided = r.created.Add(26 * time.Hour)
		}
		updated := r.created.Add(2 * time.Hour)
		if decided != nil {
			updated = decided.(time.Time)
		}
		rows = append(rows, []any{r.number, r.requester, depts[i%len(depts)], r.vendor, "Needed for the team's work", "USD",
			r.total, r.total, r.status, submitted, decided, r.created, updated})
	}
	reqIDs, err := c.copyIDs(ctx, "requisitions", []string{"number", "requester_id", "department_id", "vendor_id", "justification", "currency",
		"subtotal_minor", "total_minor", "status", "submitted_at", "decided_at", "created_at", "updated_at"}, rows)
	if err != nil {
		return err
	}
	for i, l := range lineRows {
		lineRows[i] = append([]any{reqIDs[i/v.LinesPer]}, l...)
	}
	lineIDs, err := c.copyIDs(ctx, "requisition_lines", []string{"requisition_id", "position", "description", "quantity_milli", "unit_price_minor",
		"gl_account_id", "amount_minor", "created_at"}, lineRows)
	if err != nil {
		return err
	}
	for i := range reqs {
		if reqs[i].requester == s.RequesterID && reqs[i].status == outlay.RequisitionApproved {
			s.DetailID = reqIDs[i]
			break
		}
	}

	// One manager step per submitted requisition, all naming the approver: pending for the
	// queue, decided for the rest.
	rows = nil
	var pendingIdx []int
	for i, r := range reqs {
		if r.status == outlay.RequisitionDraft {
			continue
		}
		status, actedBy, actedAt := "approved", any(s.ApproverID), any(r.created.Add(26*time.Hour))
		switch r.status {
		case outlay.RequisitionPending:
			status, actedBy, actedAt = "pending", nil, nil
			pendingIdx = append(pendingIdx, len(rows))
		case outlay.RequisitionRejected:
			status = "rejected"
		}
		rows = append(rows, []any{"requisition", reqIDs[i], r.total, r.requester, 1, 1, "manager", s.ApproverID, status, actedBy, actedAt, r.created.Add(time.Hour)})
	}
	stepIDs, err := c.copyIDs(ctx, "approval_steps", []string{"doc_type", "doc_id", "doc_total_minor", "doc_requester_id", "round", "position", "kind", "approver_id", "status", "acted_by", "acted_at", "created_at"}, rows)
	if err != nil {
		return err
	}
	for _, i := range pendingIdx {
		s.PendingSteps = append(s.PendingSteps, stepIDs[i])
	}

	// The notifications those steps left, as the app writes them: the approver was told of
	// each submitted requisition, and each requester of its decision. People open the bell,
	// so all are read but the approver's newest unreadNewest. Without them the table is
	// empty when statistics are taken, and the bell's count and an approval's marking of
	// its notifications are planned as reads of the whole table, which grows as the run
	// approves.
	const unreadNewest = 20
	rows = nil
	firstUnread := v.Orders + v.Pending - unreadNewest // pending are v.Orders … v.Orders+v.Pending-1
	for i, r := range reqs {
		if r.status == outlay.RequisitionDraft {
			continue
		}
		submitted := r.created.Add(time.Hour)
		link := fmt.Sprintf("/requisitions/%d", reqIDs[i])
		var read any = submitted.Add(30 * time.Minute)
		if r.status == outlay.RequisitionPending && i >= firstUnread {
			read = nil
		}
		rows = append(rows, []any{s.ApproverID, models.MailStepWaiting, "requisition", reqIDs[i],
			fmt.Sprintf("Requisition %s waits for your approval", *r.number), "", link, submitted, read})
		if r.status != outlay.RequisitionPending {
			decided := r.created.Add(26 * time.Hour)
			rows = append(rows, []any{r.requester, models.MailDecided, "requisition", reqIDs[i],
				fmt.Sprintf("Your requisition %s was decided", *r.number), "", link, decided, decided.Add(time.Hour)})
		}
	}
	if err := c.copyRows(ctx, "notifications", []string{"recipient_id", "kind", "doc_type", "doc_id", "title", "summary", "link_path",
		"created_at", "read_at"}, rows); err != nil {
		return err
	}

	// Purchase orders from the ordered requisitions, with their lines.
	poStatuses := []string{outlay.POOpen, outlay.POOpen, outlay.POOpen, outlay.POPartiallyReceived, outlay.POReceived, outlay.POClosed}
	rows = nil
	var poLines [][]any
	for i := range v.Orders {
		r := reqs[i]
		rows = append(rows, []any{fmt.Sprintf("PO-%06d", i+1), reqIDs[i], r.vendor, "USD", r.total, int64(0), r.total,
			poStatuses[i%len(poStatuses)], s.FinanceID, r.created.Add(30 * time.Hour), r.created.Add(30 * time.Hour)})
	}
	poIDs, err := c.copyIDs(ctx, "purchase_orders", []string{"number", "requisition_id", "vendor_id", "currency", "subtotal_minor", "tax_minor",
		"total_minor", "status", "created_by", "created_at", "updated_at"}, rows)
	if err != nil {
		return err
	}
	for i, po := range poIDs {
		for p := range v.LinesPer {
			l := lineRows[i*v.LinesPer+p] // requisition_id, position, description, qty, price, gl, amount, created
			poLines = append(poLines, []any{po, lineIDs[i*v.LinesPer+p], p + 1, l[2], l[3], l[4], l[5], l[6]})
		}
	}
	if err := c.copyRows(ctx, "purchase_order_lines", []string{"purchase_order_id", "requisition_line_id", "position", "description",
		"quantity_milli", "unit_price_minor", "gl_account_id", "amount_minor"}, poLines); err != nil {
		return err
	}

	// Document numbers continue after the seeded ones.
	if _, err := c.conn.Exec(ctx, `UPDATE document_numbers SET last = CASE kind WHEN 'requisition' THEN $1::bigint ELSE $2::bigint END
		WHERE kind IN ('requisition', 'purchase_order')`, v.Requisitions, v.Orders); err != nil {
		return err
	}

	// Audit rows: updates of the requisitions as the app records them. The chain trigger
	// numbers and hashes each one (prev_hash and hash are placeholders it overwrites).
	rows = nil
	actors := []struct {
		id    int64
		label string
	}{{s.FinanceID, financeEmail}, {s.ApproverID, approverEmail}, {s.RequesterID, requesterEmail}}
	for i := range v.AuditRows {
		k := i % len(reqIDs)
		a := actors[i%len(actors)]
		old, _ := json.Marshal(map[string]any{"status": "pending", "updated_at": reqs[k].created})
		nw, _ := json.Marshal(map[string]any{"status": reqs[k].status, "updated_at": reqs[k].created.Add(time.Hour)})
		rows = append(rows, []any{at(i, v.AuditRows), "user", a.id, a.label, "update", "requisitions", fmt.Sprint(reqIDs[k]),
			string(old), string(nw), []string{"status", "updated_at"}, fmt.Sprintf("bench-%08d", i), "192.0.2.10", []byte{}, []byte{}})
	}
	return c.copyRows(ctx, "audit_log", []string{"at", "actor_type", "actor_id", "actor_label", "action", "table_name", "record_id",
		"old", "new", "changed", "request_id", "ip", "prev_hash", "hash"}, rows)
}

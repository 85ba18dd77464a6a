package models

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// QueueSQL exposes the queue's page and count queries, so that tests can read their plans;
// pageCounted is the statement a page of the queue is read with: the page with its counts.
func QueueSQL(v Viewer, f QueueFilter) (page, count, pageCounted string, args map[string]any) {
	texts, args := queueSQL(v, f)
	args["limit"], args["offset"], args["reach"] = 25, 0, 25
	return texts.page, texts.count, texts.pageCounted, args
}

// NamedRaw runs a statement with named parameters as the queue's are run.
var NamedRaw = namedRaw

// QueueCountSQL is the badge's and dashboard's count, with its arguments for v.
func QueueCountSQL(v Viewer) (string, map[string]any) { return queueCountSQL, queueArgs(v) }

// DigestDueSQL finds the people with notifications waiting for a digest (argument: cutoff).
const DigestDueSQL = digestDueSQL

// StaleStepsSQL reads the steps waiting since before @before.
var StaleStepsSQL = staleSteps

// HadDailyMailSQL looks up one person's daily mail of a kind on a day.
const HadDailyMailSQL = hadDailyMailSQL

// VendorSearch and PeopleSearch are the conditions the vendors (as v) and people (as u) are
// searched by for text, so that tests can read their plans.
func VendorSearch(text string) clause.Expr { return holdsText(text, vendorSearchColumns...) }
func PeopleSearch(text string) clause.Expr { return holdsText(text, peopleSearchColumns...) }

// DashboardQuery is the dashboard's statement for v, with its arguments.
func DashboardQuery(v Viewer, cards DashboardCards, now time.Time) (string, []any, error) {
	return dashboardQuery(v, cards, now)
}

// AuditParents exposes auditParents, which TestAuditParentsAreTheDatabases holds to the
// database's audit_parent.
var AuditParents = auditParents

// TalliedStatuses reads a table's status tallies as the lists do.
func TalliedStatuses(ctx context.Context, db *gorm.DB, table string) (map[string]int, error) {
	return talliedStatuses(ctx, db, table)
}

// FoldTalliesAbove is how many tally rows a table keeps before a read folds them.
const FoldTalliesAbove = foldTalliesAbove

// ListRequisitionsByGORM reads the page ListRequisitions reads, through GORM's reflection, to
// hold the list's own read of its rows against.
func ListRequisitionsByGORM(ctx context.Context, db *gorm.DB, v Viewer, f RequisitionFilter) ([]RequisitionSummary, error) {
	db = db.WithContext(ctx)
	var out []RequisitionSummary
	err := f.columns(pickedPage(db, f.scope(db, v, true), "requisitions", f.order(), f.Offset, f.Limit)).Scan(&out).Error
	return out, err
}

// ListExpensesByGORM reads the page ListExpenses reads, through GORM's reflection.
func ListExpensesByGORM(ctx context.Context, db *gorm.DB, v Viewer, f ExpenseFilter) ([]ExpenseSummary, error) {
	db = db.WithContext(ctx)
	var out []ExpenseSummary
	err := f.columns(pickedPage(db, f.scope(db, v, true), "expense_reports", expenseOrder, f.Offset, f.Limit)).Scan(&out).Error
	return out, err
}

// ListTravelByGORM reads the page ListTravel reads, through GORM's reflection.
func ListTravelByGORM(ctx context.Context, db *gorm.DB, v Viewer, f TravelFilter) ([]TravelSummary, error) {
	db = db.WithContext(ctx)
	var out []TravelSummary
	err := f.columns(pickedPage(db, f.scope(db, v, true), "travel_requests", travelOrder, f.Offset, f.Limit)).Scan(&out).Error
	return out, err
}

// ListPurchaseOrdersByGORM reads the page ListPurchaseOrders reads, through GORM's reflection.
func ListPurchaseOrdersByGORM(ctx context.Context, db *gorm.DB, f PurchaseOrderFilter) ([]PurchaseOrderRow, error) {
	db = db.WithContext(ctx)
	var out []PurchaseOrderRow
	err := f.rows(pickedPage(db, f.scope(db), "purchase_orders", purchaseOrderOrder, f.Offset, f.Limit)).Scan(&out).Error
	return out, err
}

// SessionIdentitySQL reads a session's person, roles and unread notifications ($1 the digest
// of the token, $2 the idle timeout in seconds).
var SessionIdentitySQL = sessionIdentitySQL

// TripOverlapsQuery is the statement that finds the trips trip t overlaps, as v sees them.
var TripOverlapsQuery = tripOverlapsQuery

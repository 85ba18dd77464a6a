package models

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"gorm.io/gorm"
)

// foldTalliesAbove is how many rows a table's tallies may have before a read folds them into
// one per status: each statement that changes a status adds a row (migration 00107).
const foldTalliesAbove = 64

// TalliedTables are the tables whose documents are tallied by status (status_tallies, kept by
// the triggers of migration 00107): every document kind's.
func TalliedTables() []string {
	out := make([]string, 0, len(documentKinds))
	for _, k := range documentKinds {
		out = append(out, k.Table)
	}
	return out
}

// talliedStatuses is how many rows of table are in each status, read from its tallies rather
// than counted (talliesOf, readStatusCounts).
func talliedStatuses(ctx context.Context, db *gorm.DB, table string) (map[string]int, error) {
	return readStatusCounts(ctx, db, table, talliesOf(db, table, "", nil))
}

// talliesOf is the query of table's numbers by status read from its tallies (a query of one
// row and one text column, which readStatusCounts reads), without the status leaveOut, and
// with own's count (a query of one count) as that status's number when own is not nil.
func talliesOf(db *gorm.DB, table, leaveOut string, own *gorm.DB) *gorm.DB {
	rows, args := `SELECT status, sum(n) AS n, count(*) AS kept FROM status_tallies WHERE tbl = ? AND status <> ? GROUP BY status`,
		[]any{table, leaveOut}
	if own != nil {
		rows, args = rows+` UNION ALL SELECT ?, (?), 0`, append(args, leaveOut, own)
	}
	return db.Raw(`SELECT coalesce(sum(t.kept), 0) || '|' || coalesce(string_agg(t.status || ':' || t.n, ','), '') FROM (`+
		rows+`) t`, args...)
}

// readStatusCounts runs counts, a query of a list's numbers by status (talliesOf,
// DocumentKind.statusCounts), and reads its text (statusCountsOf).
func readStatusCounts(ctx context.Context, db *gorm.DB, table string, counts *gorm.DB) (map[string]int, error) {
	var text string
	if err := counts.WithContext(ctx).Row().Scan(&text); err != nil {
		return nil, err
	}
	return statusCountsOf(ctx, db, table, text)
}

// statusCountsOf reads the text of a query of a list's numbers by status: how many tally rows
// it read, "|", then each status and its number ("pending:3,approved:12"; a status with none is
// left out). When the tallies of table have grown past foldTalliesAbove rows, it folds them; a
// fold that fails leaves them as they are (exact either way), and, run in a savepoint, leaves a
// transaction the read is part of as it was.
func statusCountsOf(ctx context.Context, db *gorm.DB, table, text string) (map[string]int, error) {
	kept, list, ok := strings.Cut(text, "|")
	rows, err := strconv.Atoi(kept)
	if !ok || err != nil {
		return nil, fmt.Errorf("status counts of %s: unreadable %q", table, text)
	}
	out := make(map[string]int, strings.Count(list, ",")+1)
	for part := range strings.SplitSeq(list, ",") {
		if part == "" {
			continue
		}
		st, num, _ := strings.Cut(part, ":")
		n, err := strconv.Atoi(num)
		if err != nil {
			return nil, fmt.Errorf("status counts of %s: unreadable %q", table, text)
		}
		if n != 0 {
			out[st] += n
		}
	}
	if rows > foldTalliesAbove {
		err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error { return foldTallies(ctx, tx, table) })
		if err != nil {
			slog.WarnContext(ctx, "status tallies not folded", "table", table, "err", err)
		}
	}
	return out, nil
}

// FoldStatusTallies folds the tallies of every tallied table, those no list reads included
// (the hourly job of package jobs), so that they do not grow with every change of status.
func FoldStatusTallies(ctx context.Context, db *gorm.DB) error {
	for _, table := range TalliedTables() {
		if err := foldTallies(ctx, db, table); err != nil {
			return fmt.Errorf("fold the tallies of %s: %w", table, err)
		}
	}
	return nil
}

// foldTallies replaces table's tally rows by one per status, their sum. It deletes only the
// rows its statement sees, so a change committed meanwhile keeps its own row; one fold per
// table runs at a time (a transaction-scoped advisory lock, not waited for).
func foldTallies(ctx context.Context, db *gorm.DB, table string) error {
	return db.WithContext(ctx).Exec(`WITH turn AS (SELECT pg_try_advisory_xact_lock(hashtext('status_tallies'), hashtext(@t)) AS mine),
		gone AS (DELETE FROM status_tallies WHERE tbl = @t AND (SELECT mine FROM turn) RETURNING status, n)
		INSERT INTO status_tallies (tbl, status, n) SELECT @t, status, sum(n) FROM gone GROUP BY status HAVING sum(n) <> 0`, map[string]any{"t": table}).Error
}

// listShows says which documents of its kind a list shows before its status tabs: those the
// viewer may see that its filters select.
type listShows int

const (
	// narrowedList: a search or a filter narrows the list, or it shows only the viewer's own.
	narrowedList listShows = iota
	// submittedList: every submitted document the viewer may see (drafts are their owners').
	submittedList
	// submittedAndOwnDrafts: every submitted document the viewer may see, and their own drafts.
	submittedAndOwnDrafts
)

// showing is what a list shows: narrowedList when narrowed, else whole.
func showing(narrowed bool, whole listShows) listShows {
	if narrowed {
		return narrowedList
	}
	return whole
}

// countByStatus counts the documents of the kind a list shows, by status: the numbers on its
// status tabs (statusCounts).
func (k *DocumentKind) countByStatus(ctx context.Context, db *gorm.DB, v Viewer, shows listShows, scope *gorm.DB) (map[string]int, error) {
	return readStatusCounts(ctx, db, k.Table, k.statusCounts(db.WithContext(ctx), v, shows, scope))
}

// statusCounts is the query of the numbers of the documents of the kind a list shows, by
// status (a query of one row and one text column, which statusCountsOf reads), so that a
// list's page can carry them (statusPageOf). scope selects them (the viewer's visibility and
// the list's filters, without a status). When the list is not narrowed and the viewer sees
// every submitted document of the kind, the submitted ones are counted by the kind's tallies
// instead of row by row, and only the viewer's own drafts, if the list shows them, are counted.
func (k *DocumentKind) statusCounts(db *gorm.DB, v Viewer, shows listShows, scope *gorm.DB) *gorm.DB {
	if shows != narrowedList && (k.Visibility == VisibleToReaders || v.SeeAllOf(k.Type)) {
		var own *gorm.DB
		if shows == submittedAndOwnDrafts && k.DraftStatus != "" {
			own = scope.Select("count(*)").Where(k.Table+".status = ?", k.DraftStatus).Where(k.ownedByMe(), map[string]any{"me": v.UserID})
		}
		return talliesOf(db, k.Table, k.DraftStatus, own)
	}
	return db.Raw(`SELECT '0|' || coalesce(string_agg(c.status || ':' || c.n, ','), '') FROM (?) c`,
		scope.Select(k.Table+".status, count(*) AS n").Group(k.Table+".status"))
}

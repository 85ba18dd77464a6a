package models

import (
	"context"
	"fmt"
	"log/slog"

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
// than counted. When the tallies have grown past foldTalliesAbove rows it folds them; a fold
// that fails leaves them as they are (exact either way), and, run in a savepoint, leaves a
// transaction the read is part of as it was.
func talliedStatuses(ctx context.Context, db *gorm.DB, table string) (map[string]int, error) {
	var rows []struct {
		Status string
		N      int
		Rows   int
	}
	err := db.WithContext(ctx).Raw(`SELECT status, sum(n) AS n, count(*) AS rows FROM status_tallies WHERE tbl = ? GROUP BY status`, table).
		Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	out, kept := make(map[string]int, len(rows)), 0
	for _, r := range rows {
		kept += r.Rows
		if r.N != 0 {
			out[r.Status] = r.N
		}
	}
	if kept > foldTalliesAbove {
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
// status tabs. scope selects them (the viewer's visibility and the list's filters, without a
// status). When the list is not narrowed and the viewer sees every submitted document of the
// kind, the submitted ones are counted by the kind's tallies instead of row by row, and only
// the viewer's own drafts, if the list shows them, are counted.
func (k *DocumentKind) countByStatus(ctx context.Context, db *gorm.DB, v Viewer, shows listShows, scope *gorm.DB) (map[string]int, error) {
	if shows != narrowedList && (k.Visibility == VisibleToReaders || v.SeeAllOf(k.Type)) {
		out, err := talliedStatuses(ctx, db, k.Table)
		if err != nil || k.DraftStatus == "" {
			return out, err
		}
		delete(out, k.DraftStatus)
		if shows == submittedAndOwnDrafts {
			var n int64
			if err := scope.Where(k.Table+".status = ?", k.DraftStatus).Where(k.ownedByMe(), map[string]any{"me": v.UserID}).Count(&n).Error; err != nil {
				return nil, err
			}
			if n > 0 {
				out[k.DraftStatus] = int(n)
			}
		}
		return out, nil
	}
	var rows []struct {
		Status string
		N      int
	}
	err := scope.Select(k.Table + ".status, count(*) AS n").Group(k.Table + ".status").Scan(&rows).Error
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out, err
}

package archive_test

import (
	"context"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"outlay/archive"
	"outlay/internal/dbtest"
	"outlay/storage"
)

// countingWriter counts the archive's bytes and keeps none.
type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// copyRows copies the rows of table that match where n times over, each copy's columns set
// by change (column → SQL expression of the copy number g) and its id left to the database.
func copyRows(b *testing.B, db *gorm.DB, table, where string, n int, change map[string]string) {
	b.Helper()
	var cols []string
	db.Raw(`SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = ? AND column_name <> 'id'
		AND is_generated = 'NEVER' ORDER BY ordinal_position`, table).Scan(&cols)
	sel := make([]string, len(cols))
	for i, c := range cols {
		sel[i] = `t."` + c + `"`
		if e, ok := change[c]; ok {
			sel[i] = e
		}
	}
	q := `INSERT INTO ` + table + ` ("` + strings.Join(cols, `", "`) + `") SELECT ` + strings.Join(sel, ", ") +
		` FROM ` + table + ` t, generate_series(1, ?) g WHERE ` + where
	if err := db.Exec(q, n).Error; err != nil {
		b.Fatalf("copy %s: %v", table, err)
	}
}

// A tenant with 10,000 requisitions (two lines each) written whole: how long it takes and how
// large the archive is, beside Postgres reading the same tables as JSON in the same run.
//
//	go test -run '^$' -bench BenchmarkArchiveOf10000Requisitions -benchtime 1x ./archive/
func BenchmarkArchiveOf10000Requisitions(b *testing.B) {
	env, acme := dbtest.NewTenant(b)
	db := env.DB(b, acme)
	ctx := context.Background()
	rita := env.CreateUser(b, acme, "rita@acme.example", "Rita Requester", "requester")
	first := dbtest.ApprovedRequisition(b, db, rita.ID, "orders@vendor.example",
		dbtest.OrderLine{Description: "Laptop stand", Quantity: "10", UnitPrice: 2500, TaxRateBP: 2000},
		dbtest.OrderLine{Description: "USB-C cable", Quantity: "4", UnitPrice: 1000})
	id := first.Requisition.ID
	copyRows(b, db, "requisitions", "t.id = "+strconv.FormatInt(id, 10), 9_999, map[string]string{"number": `'REQ-B' || g`, "form_key": "NULL"})
	if err := db.Exec(`INSERT INTO requisition_lines (requisition_id, position, description, quantity_milli, unit_price_minor, tax_rate_bp,
			gl_account_id, amount_minor, tax_minor)
		SELECT r.id, l.position, l.description, l.quantity_milli, l.unit_price_minor, l.tax_rate_bp, l.gl_account_id, l.amount_minor, l.tax_minor
		FROM requisitions r, requisition_lines l WHERE r.id <> ? AND l.requisition_id = ?`, id, id).Error; err != nil {
		b.Fatal(err)
	}
	var reqs int64
	db.Raw(`SELECT count(*) FROM requisitions`).Scan(&reqs)
	if reqs != 10_000 {
		b.Fatalf("%d requisitions", reqs)
	}
	blobs, err := storage.Open(ctx, "file://"+b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer blobs.Close()
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		db.Raw(`SELECT sum(length(row_to_json(t)::text)) FROM requisitions t`).Scan(new(int64))
		db.Raw(`SELECT sum(length(row_to_json(t)::text)) FROM requisition_lines t`).Scan(new(int64))
		readAsJSON := time.Since(start)

		var out countingWriter
		start = time.Now()
		m, err := archive.Write(ctx, archive.Source{Slug: acme.Slug, Name: acme.Name, DB: db, Blobs: blobs, Secret: env.Config.SecretKey}, &out)
		elapsed := time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		rows := int64(0)
		for _, t := range m.Tables {
			rows += t.Rows
		}
		b.ReportMetric(elapsed.Seconds(), "archive_s")
		b.ReportMetric(float64(out.n)/(1<<20), "archive_MB")
		b.ReportMetric(float64(rows), "rows")
		b.ReportMetric(float64(rows)/elapsed.Seconds(), "rows/s")
		b.ReportMetric(elapsed.Seconds()/readAsJSON.Seconds(), "x_postgres_json_read")
		b.Logf("10,000 requisitions: %d rows in %d tables archived in %.2f s, %.2f MB (Postgres reading the two document tables as JSON alone: %.2f s)",
			rows, len(m.Tables), elapsed.Seconds(), float64(out.n)/(1<<20), readAsJSON.Seconds())
	}
}

var _ io.Writer = (*countingWriter)(nil)

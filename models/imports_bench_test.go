package models_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"

	"outlay/audit"
	"outlay/internal/dbtest"
	"outlay/models"
)

// BenchmarkImportVendors imports 100,000 vendors (OUTLAY_BENCH_VENDORS changes the count)
// through the import, as an admin's file would be, and copies the same rows into the same
// table with Postgres COPY, round after round in one run. It reports each side's median
// time and the median of the rounds' ratios (import/copy); the target is at most 3. It also
// reports how long the import took until its last row was checked (all but the last
// thousand written), before the commit chains its 100,000 audit records (rows-s, rows/copy).
//
//	go test -run '^$' -bench ImportVendors -benchtime 3x -timeout 60m ./models/
func BenchmarkImportVendors(b *testing.B) {
	n := 100_000
	if s := os.Getenv("OUTLAY_BENCH_VENDORS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	env, acme := dbtest.NewTenant(b)
	db := env.DB(b, acme)
	admin := env.CreateUser(b, acme, "admin@acme.example", "Ada Admin", "admin")
	ctx := audit.WithActor(context.Background(), audit.Actor{Type: audit.ActorUser, ID: admin.ID, Label: admin.Email})
	k, _ := models.FindImportKind("vendors")
	rows := [][]string{{"name", "contact_name", "email", "phone", "tax_id", "payment_terms", "currency", "status", "address"}}
	lines := []int{1}
	for i := range n {
		rows = append(rows, []string{fmt.Sprintf("Vendor %06d", i), "Jo Bloggs", fmt.Sprintf("orders%d@vendor.example", i), "+1 555 0100",
			fmt.Sprintf("TAX%06d", i), "30", "USD", "active", "1 Main St, Springfield"})
		lines = append(lines, i+2)
	}
	plan := k.DetectPlan(rows)
	clear := func() {
		if err := db.Exec(`DELETE FROM vendors`).Error; err != nil {
			b.Fatal(err)
		}
	}
	var imports, copies, ratios, checked, checkedRatios []float64
	for b.Loop() {
		clear()
		start := time.Now()
		if err := copyVendors(db, rows[1:]); err != nil {
			b.Fatal(err)
		}
		c := time.Since(start)
		clear()
		start = time.Now()
		var rowsDone time.Duration
		progress := func(done, total int) {
			if done == total {
				rowsDone = time.Since(start)
			}
		}
		res, err := models.RunImport(ctx, db, k, rows, lines, plan, models.ImportOptions{Grantor: models.ByPerson(admin.ID), Source: "bench.csv", Progress: progress})
		if err != nil || res.Created != n {
			b.Fatalf("import: %v %+v", err, res)
		}
		i := time.Since(start)
		imports, copies, ratios = append(imports, i.Seconds()), append(copies, c.Seconds()), append(ratios, i.Seconds()/c.Seconds())
		checked, checkedRatios = append(checked, rowsDone.Seconds()), append(checkedRatios, rowsDone.Seconds()/c.Seconds())
	}
	b.ReportMetric(median(imports), "import-s")
	b.ReportMetric(median(copies), "copy-s")
	b.ReportMetric(median(ratios), "import/copy")
	b.ReportMetric(median(checked), "rows-s")
	b.ReportMetric(median(checkedRatios), "rows/copy")
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// copyVendors writes rows (as the import's columns) into vendors with COPY.
func copyVendors(db *gorm.DB, rows [][]string) error {
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	conn, err := sqlDB.Conn(context.Background())
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		now := time.Now()
		_, err := pc.CopyFrom(context.Background(), pgx.Identifier{"vendors"},
			[]string{"name", "contact_name", "email", "phone", "tax_id", "payment_terms_days", "currency", "status", "address", "created_at", "updated_at"},
			pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
				r := rows[i]
				terms, _ := strconv.Atoi(r[5])
				return []any{r[0], r[1], r[2], r[3], r[4], terms, r[6], r[7], r[8], now, now}, nil
			}))
		return err
	})
}

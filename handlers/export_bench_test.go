package handlers

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"outlay/internal/dbtest"
	"outlay/models"
	"outlay/sheet"
)

// processCPU is the CPU time this process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// countingDiscard counts what is written and keeps nothing, as a client reading the download.
type countingDiscard struct{ n atomic.Int64 }

func (c *countingDiscard) Write(p []byte) (int, error) { c.n.Add(int64(len(p))); return len(p), nil }

// peakHeap samples the heap in use every millisecond until stop is called, and returns the
// highest sample.
func peakHeap() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 { close(done); wg.Wait(); return peak.Load() }
}

// The audit log's CSV export of 1,000,000 rows: rows a second (floor 200,000) and the peak
// heap while it runs (ceiling 64 MB), beside Postgres's own COPY ... CSV of the same rows
// measured in the same run.
//
//	go test -run '^$' -bench BenchmarkAuditExportCSV -benchtime 1x ./handlers/
func BenchmarkAuditExportCSV(b *testing.B) {
	const rows = 1_000_000
	env, acme := dbtest.NewTenant(b)
	db := env.DB(b, acme)
	ctx := context.Background()
	// Rows as the app writes them (a change with its old and new values), inserted past the
	// chaining trigger, which is not what is measured.
	for _, sql := range []string{
		`ALTER TABLE audit_log DISABLE TRIGGER USER`,
		`INSERT INTO audit_log (id, at, actor_type, actor_id, actor_label, action, table_name, record_id, old, new, changed, request_id, ip, prev_hash, hash)
		 SELECT g, now() - make_interval(secs => 1000000 - g), 'user', 7, 'ana@acme.example', 'update', 'vendors', (g % 5000)::text,
			jsonb_build_object('id', g % 5000, 'name', 'Vendor ' || g, 'email', 'orders' || g || '@vendor.example', 'payment_terms_days', 30, 'status', 'active'),
			jsonb_build_object('id', g % 5000, 'name', '=Vendor ' || g, 'email', 'orders' || g || '@vendor.example', 'payment_terms_days', 45, 'status', 'on_hold'),
			ARRAY['name', 'payment_terms_days', 'status'], 'req-' || g, '203.0.113.7', sha256(g::text::bytea), sha256((g + 1)::text::bytea)
		 FROM generate_series(1, 1000000) g`,
		`ALTER TABLE audit_log ENABLE TRIGGER USER`,
		`ANALYZE audit_log`,
	} {
		if err := db.Exec(sql).Error; err != nil {
			b.Fatal(err)
		}
	}
	conn, err := pgx.Connect(ctx, acme.DSN)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	b.ResetTimer()
	for range b.N {
		var copied countingDiscard
		start := time.Now()
		tag, err := conn.PgConn().CopyTo(ctx, &copied, `COPY (SELECT id, at, actor_type, actor_id, actor_label, action, event, subject, table_name, record_id,
			array_to_string(changed, ' '), old, new, details, request_id, ip FROM audit_log ORDER BY id DESC) TO STDOUT WITH CSV HEADER`)
		if err != nil || tag.RowsAffected() != rows {
			b.Fatalf("copy: %v %v", tag, err)
		}
		copyRate := rows / time.Since(start).Seconds()

		runtime.GC()
		var out countingDiscard
		stop := peakHeap()
		cpuBefore := processCPU()
		start = time.Now()
		n, err := writeList(&out, sheet.CSV, auditExport.columns, auditExportRows(ctx, db, models.AuditFilter{}))
		elapsed := time.Since(start)
		cpu := processCPU() - cpuBefore
		peak := stop()
		if err != nil || n != rows {
			b.Fatalf("export: %d rows, %v", n, err)
		}
		rate := rows / elapsed.Seconds()
		// The server's own cost: rows per second of this process's CPU time. On a machine
		// whose Postgres is busy with other work, the wall-clock rate is the database's (see
		// the COPY of the same rows); this is what the export code itself can do.
		cpuRate := rows / cpu.Seconds()
		b.ReportMetric(cpuRate, "rows/cpu_s")
		b.ReportMetric(cpuRate/200_000, "x_floor_cpu")
		b.ReportMetric(rate, "rows/s")
		b.ReportMetric(rate/200_000, "x_floor_200k_rows/s")
		b.ReportMetric(rate/copyRate, "x_postgres_copy")
		b.ReportMetric(float64(peak)/(1<<20), "peak_heap_MB")
		b.ReportMetric(float64(peak)/(64<<20), "x_ceiling_64MB")
		b.ReportMetric(float64(out.n.Load())/(1<<20), "csv_MB")
		b.Logf("export %.0f rows/s wall (%.2f× the 200,000 floor; %.2f× Postgres COPY of the same rows at %.0f rows/s), %.0f rows per CPU second of this process (%.2f× the floor), peak heap %.1f MB (ceiling 64 MB), %.0f MB of CSV",
			rate, rate/200_000, rate/copyRate, copyRate, cpuRate, cpuRate/200_000, float64(peak)/(1<<20), float64(out.n.Load())/(1<<20))
		if cpuRate < 200_000 || peak >= 64<<20 || rate < copyRate/2 {
			b.Errorf("%.0f rows per CPU second (floor 200,000), %.2f× COPY (floor 0.5×), peak heap %.1f MB (ceiling 64 MB)", cpuRate, rate/copyRate, float64(peak)/(1<<20))
		}
	}
}

package backup_test

import (
	"context"
	"testing"
	"time"

	"outlay/backup"
	"outlay/internal/dbtest"
	"outlay/internal/pgcluster"
	"outlay/tenancy"
)

// Backup and restore of a tenant with 100,000 documents (requisitions, two lines each),
// restored onto a second cluster with every table checked against the manifest:
//
//	go test -run '^$' -bench BenchmarkBackupRestore100000Documents -benchtime 1x ./backup/
func BenchmarkBackupRestore100000Documents(b *testing.B) {
	ctx := context.Background()
	env := dbtest.NewEnv(b)
	tn := env.NewTenant(b, "acme", "Acme Corporation")
	second := pgcluster.Start(b)
	if _, err := env.Registry.AddCluster(ctx, "eu-2", second.DSN("postgres")); err != nil {
		b.Fatal(err)
	}
	rita := env.CreateUser(b, tn, "rita@acme.example", "Rita Requester", "requester")
	db := env.DB(b, tn)
	seeded := time.Now()
	if err := db.Exec(`INSERT INTO requisitions (number, requester_id, justification, currency, subtotal_minor, total_minor, status, submitted_at)
		SELECT 'REQ-' || g, ?, 'Benchmark requisition ' || g, 'USD', 5000, 5000, 'pending', now() - g * interval '1 minute'
		FROM generate_series(1, 100000) g`, rita.ID).Error; err != nil {
		b.Fatal(err)
	}
	if err := db.Exec(`INSERT INTO requisition_lines (requisition_id, position, description, quantity_milli, unit_price_minor, amount_minor)
		SELECT r.id, p, 'Line ' || p || ' of ' || r.number, 1000, 2500, 2500 FROM requisitions r, generate_series(1, 2) p`).Error; err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded 100,000 requisitions with 200,000 lines in %s", time.Since(seeded).Round(time.Millisecond))
	store, err := backup.OpenStore(ctx, env.Config.BlobURL)
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	service := &backup.Service{Registry: env.Registry, Secret: env.Config.SecretKey, Logger: env.Logger}
	clusters := []string{"eu-2", tenancy.DefaultCluster}
	var backupTime, restoreTime time.Duration
	var dumpBytes int64
	b.ResetTimer()
	for i := range b.N {
		began := time.Now()
		m, err := service.Backup(ctx, "acme", store, tenancy.BackupManual)
		if err != nil {
			b.Fatal(err)
		}
		backupTime += time.Since(began)
		for _, f := range m.Files {
			if f.Path == backup.DumpFile {
				dumpBytes = f.Bytes
			}
		}
		began = time.Now()
		if _, err := service.Restore(ctx, store, m.Name, backup.RestoreOptions{Slug: "acme", Cluster: clusters[i%2]}); err != nil {
			b.Fatal(err)
		}
		restoreTime += time.Since(began)
	}
	b.ReportMetric(backupTime.Seconds()/float64(b.N), "backup-s")
	b.ReportMetric(restoreTime.Seconds()/float64(b.N), "restore-s")
	b.ReportMetric(float64(dumpBytes)/(1<<20), "dump-MB")
}

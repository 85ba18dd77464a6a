package audit_test

import (
	"testing"

	"outlay/internal/dbtest"
	"outlay/models"
)

// Accounting export batches and the documents they carried: create, update and delete each
// leave exactly one record.
func TestExportBatchTablesCreateUpdateDelete(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme).WithContext(asUser())
	clerk := models.User{Email: "cleo@acme.example", Name: "Cleo", Status: models.UserActive}
	if err := db.Create(&clerk).Error; err != nil {
		t.Fatal(err)
	}
	batch := &models.ExportBatch{DocumentCount: 1, CreatedByID: clerk.ID}
	doc := &models.ExportBatchDocument{DocType: models.DocBill, DocID: 42}
	for _, tc := range []struct {
		table  string
		create func() error
		update func() error
	}{
		{"export_batches", func() error { return db.Create(batch).Error },
			func() error { return db.Model(batch).Update("document_count", 2).Error }},
		{"export_batch_documents", func() error { doc.BatchID = batch.ID; return db.Create(doc).Error },
			func() error { return db.Model(doc).Update("reexport", true).Error }},
	} {
		mark := lastID(t, db)
		if err := tc.create(); err != nil {
			t.Fatal(err)
		}
		if rec := expectOne(t, db, mark, tc.table+" create"); rec.Action != "create" || rec.TableName != tc.table {
			t.Errorf("%s create recorded %s %s", tc.table, rec.Action, rec.TableName)
		}
		mark = lastID(t, db)
		if err := tc.update(); err != nil {
			t.Fatal(err)
		}
		if rec := expectOne(t, db, mark, tc.table+" update"); rec.Action != "update" || rec.TableName != tc.table {
			t.Errorf("%s update recorded %s %s", tc.table, rec.Action, rec.TableName)
		}
	}
	for _, row := range []struct {
		table string
		v     any
	}{{"export_batch_documents", doc}, {"export_batches", batch}} {
		mark := lastID(t, db)
		if err := db.Delete(row.v).Error; err != nil {
			t.Fatal(err)
		}
		if rec := expectOne(t, db, mark, row.table+" delete"); rec.Action != "delete" || rec.Old == nil || rec.New != nil {
			t.Errorf("%s delete recorded %s", row.table, rec.Action)
		}
	}
}

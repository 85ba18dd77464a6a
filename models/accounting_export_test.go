package models_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"outlay"
	"outlay/accounting"
	"outlay/models"
)

// Export batches never repeat a document: a batch takes every approved bill and paid payment
// not yet exported, the next takes only what came since (and refuses to be empty), the
// database refuses a document in two batches, and only an explicit re-export carries a
// batch's documents again, as a batch of its own. Each batch's files come out in the four
// formats, its journal balanced per document.
func TestExportBatchesNeverRepeatADocument(t *testing.T) {
	t.Parallel()
	w := newPayWorld(t)
	ctx := context.Background()
	withLine := func(b *models.Bill) *models.Bill {
		w.must(w.db.Create(&models.BillLine{BillID: b.ID, Position: 1, Description: "Paper", QuantityMilli: 1000,
			UnitPriceMinor: b.TotalMinor, AmountMinor: b.TotalMinor, GLAccountID: &w.software.ID, DepartmentID: &w.eng.ID,
			MatchStatus: "none"}).Error)
		return b
	}
	a := withLine(w.bill(w.acme, "USD", 300_00, 0))
	withLine(w.bill(w.vendor, "USD", 120_00, 0))
	draft := withLine(w.bill(w.acme, "USD", 50_00, 0))
	w.must(w.db.Model(draft).Update("status", models.BillDraft).Error)
	run, err := w.run(models.MethodACH, 5, map[*models.Bill]string{a: "100"})
	w.must(err)
	w.approveAndPay(run)

	fresh, err := models.NewSinceLastBatch(ctx, w.db)
	w.must(err)
	if len(fresh) != 3 { // A, B and the paid run; not the draft
		t.Fatalf("new since the last batch: %+v", fresh)
	}
	first, err := models.CreateExportBatch(ctx, w.db, w.clerk.ID)
	w.must(err)
	if first.DocumentCount != 3 {
		t.Fatalf("first batch carries %d documents", first.DocumentCount)
	}
	if _, err := models.CreateExportBatch(ctx, w.db, w.clerk.ID); !errors.Is(err, outlay.ErrConflict) {
		t.Fatalf("an empty batch: %v", err)
	}
	c := withLine(w.bill(w.acme, "USD", 75_00, 0))
	second, err := models.CreateExportBatch(ctx, w.db, w.clerk.ID)
	w.must(err)
	docs, err := models.BatchDocuments(ctx, w.db, second.ID)
	w.must(err)
	if len(docs) != 1 || docs[0].Number != c.Number {
		t.Fatalf("second batch: %+v", docs)
	}
	// The database itself refuses a document in a second batch.
	err = w.db.Create(&models.ExportBatchDocument{BatchID: second.ID, DocType: models.DocBill, DocID: a.ID}).Error
	if err == nil {
		t.Fatal("a bill went into a second batch")
	}
	again, err := models.ReexportBatch(ctx, w.db, w.clerk.ID, first.ID)
	w.must(err)
	if again.ReexportOfID == nil || *again.ReexportOfID != first.ID || again.DocumentCount != 3 {
		t.Fatalf("re-export %+v", again)
	}
	if fresh, _ := models.NewSinceLastBatch(ctx, w.db); len(fresh) != 0 {
		t.Errorf("new after re-exporting: %+v", fresh)
	}
	var times []int64
	w.must(w.db.Raw(`SELECT count(*) FROM export_batch_documents WHERE NOT reexport GROUP BY doc_type, doc_id`).Scan(&times).Error)
	for _, n := range times {
		if n != 1 {
			t.Errorf("a document first-exported %d times", n)
		}
	}

	docs, err = models.BatchDocuments(ctx, w.db, first.ID)
	w.must(err)
	for _, f := range accounting.Formats {
		var buf bytes.Buffer
		if err := accounting.Write(&buf, f, docs, accounting.DefaultAccounts); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	sums := map[string]int64{}
	for _, l := range accounting.JournalLines(docs, accounting.DefaultAccounts) {
		sums[l.Document] += l.Debit - l.Credit
	}
	if len(sums) != 3 {
		t.Errorf("journal documents %v", sums)
	}
	for doc, s := range sums {
		if s != 0 {
			t.Errorf("%s out of balance by %d", doc, s)
		}
	}
}

package models

import (
	"context"
	"errors"
	"strconv"
	"time"

	"gorm.io/gorm"

	"outlay"
	"outlay/accounting"
	"outlay/money"
)

// ExportBatch is one accounting export: the documents it carried, recorded so that none is
// exported twice unless the batch is re-exported.
type ExportBatch struct {
	ID            int64
	ReexportOfID  *int64
	DocumentCount int
	CreatedByID   int64
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// ExportBatchDocument is a document a batch carried.
type ExportBatchDocument struct {
	BatchID   int64  `gorm:"primaryKey;autoIncrement:false"`
	DocType   string `gorm:"primaryKey"`
	DocID     int64  `gorm:"primaryKey;autoIncrement:false"`
	Reexport  bool
	CreatedAt time.Time
}

// ExportDoc names a document an export carries, with what lists show of it.
type ExportDoc struct {
	DocType    string
	DocID      int64
	Number     string
	Party      string
	Date       time.Time
	Currency   string
	TotalMinor int64
}

// exportableSQL lists the documents accounting exports carry: approved bills (paid or not),
// expense reports approved for reimbursement, paid payment runs and paid reimbursement
// batches (a row per currency a batch paid in, what it paid in it).
const exportableSQL = `SELECT 'bill' AS doc_type, b.id AS doc_id, b.number, v.name AS party, b.invoice_date AS date, b.currency, b.total_minor
		FROM bills b JOIN vendors v ON v.id = b.vendor_id WHERE b.status IN @bills
	UNION ALL
	SELECT 'expense', r.id, COALESCE(r.number, ''), u.name, COALESCE(r.decided_at::date, r.created_at::date), r.currency, r.total_minor
		FROM expense_reports r JOIN users u ON u.id = r.owner_id WHERE r.status IN @expenses
	UNION ALL
	SELECT 'payment', p.id, p.number, COALESCE((SELECT string_agg(DISTINCT v.name, ', ') FROM payment_lines pl JOIN vendors v ON v.id = pl.vendor_id WHERE pl.payment_run_id = p.id), ''),
		p.paid_on, p.currency, p.total_minor
		FROM payment_runs p WHERE p.status = @paid
	UNION ALL
	SELECT 'reimbursement', b.id, b.number, string_agg(DISTINCT u.name, ', '), b.paid_on, r.currency, SUM(r.total_minor - r.advance_minor)
		FROM reimbursement_batches b JOIN expense_reports r ON r.reimbursement_batch_id = b.id JOIN users u ON u.id = r.owner_id
		WHERE b.status = @batchPaid GROUP BY b.id, b.number, b.paid_on, r.currency`

func exportableArgs() map[string]any {
	return map[string]any{"bills": []string{BillApproved, BillPartiallyPaid, BillPaid},
		"expenses": []string{ExpenseApproved, ExpenseScheduled, ExpensePaid}, "paid": PaymentPaid,
		"batchPaid": BatchPaid}
}

// NewSinceLastBatch lists the documents no batch has carried yet, oldest first: what the next
// export will carry.
func NewSinceLastBatch(ctx context.Context, db *gorm.DB) ([]ExportDoc, error) {
	var out []ExportDoc
	err := db.WithContext(ctx).Raw(`SELECT * FROM (`+exportableSQL+`) d
		WHERE NOT EXISTS (SELECT 1 FROM export_batch_documents e WHERE e.doc_type = d.doc_type AND e.doc_id = d.doc_id)
		ORDER BY d.date, d.doc_type, d.doc_id`, exportableArgs()).Scan(&out).Error
	return out, err
}

// lockExports makes batch making one at a time, so two clerks exporting at once never put the
// same document in two batches (the unique index would refuse the second anyway).
func lockExports(tx *gorm.DB) error {
	return tx.Exec(`SELECT pg_advisory_xact_lock(hashtext('export_batches'))`).Error
}

// CreateExportBatch records a batch of every document not yet exported; with none, it is
// refused ("nothing new").
func CreateExportBatch(ctx context.Context, db *gorm.DB, userID int64) (*ExportBatch, error) {
	var batch ExportBatch
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := lockExports(tx); err != nil {
			return err
		}
		docs, err := NewSinceLastBatch(ctx, tx)
		if err != nil {
			return err
		}
		if len(docs) == 0 {
			return outlay.Conflict("Nothing new to export: every approved bill and expense report, paid payment and paid reimbursement is in a batch already.")
		}
		return writeBatch(tx, &batch, userID, nil, docs)
	})
	if err != nil {
		return nil, err
	}
	return &batch, nil
}

// ReexportBatch records a new batch of the documents of batch id, marked as its re-export:
// the one way a document is exported again.
func ReexportBatch(ctx context.Context, db *gorm.DB, userID, id int64) (*ExportBatch, error) {
	var batch ExportBatch
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := lockExports(tx); err != nil {
			return err
		}
		var docs []ExportDoc
		if err := tx.Raw(`SELECT doc_type, doc_id FROM export_batch_documents WHERE batch_id = ? ORDER BY doc_type, doc_id`, id).
			Scan(&docs).Error; err != nil {
			return err
		}
		if len(docs) == 0 {
			return outlay.NotFound("There is no such export batch.")
		}
		return writeBatch(tx, &batch, userID, &id, docs)
	})
	if err != nil {
		return nil, err
	}
	return &batch, nil
}

// distinctDocs lists each document of docs once: a document listed once per currency (a
// reimbursement batch paid in two) is one document.
func distinctDocs(docs []ExportDoc) []ExportDoc {
	var out []ExportDoc
	seen := map[ExportDoc]bool{}
	for _, d := range docs {
		key := ExportDoc{DocType: d.DocType, DocID: d.DocID}
		if !seen[key] {
			seen[key] = true
			out = append(out, key)
		}
	}
	return out
}

// CountExportDocs is how many documents docs lists, each counted once.
func CountExportDocs(docs []ExportDoc) int { return len(distinctDocs(docs)) }

// writeBatch records a batch of docs, each document once.
func writeBatch(tx *gorm.DB, batch *ExportBatch, userID int64, reexportOf *int64, docs []ExportDoc) error {
	var rows []ExportBatchDocument
	for _, d := range distinctDocs(docs) {
		rows = append(rows, ExportBatchDocument{DocType: d.DocType, DocID: d.DocID, Reexport: reexportOf != nil})
	}
	*batch = ExportBatch{ReexportOfID: reexportOf, DocumentCount: len(rows), CreatedByID: userID}
	if err := tx.Create(batch).Error; err != nil {
		return err
	}
	for i := range rows {
		rows[i].BatchID = batch.ID
	}
	return tx.Create(&rows).Error
}

// ExportBatchRow is a batch in the list.
type ExportBatchRow struct {
	ExportBatch
	CreatedBy string
}

// ListExportBatches lists the latest batches, newest first.
func ListExportBatches(ctx context.Context, db *gorm.DB, limit int) ([]ExportBatchRow, error) {
	var out []ExportBatchRow
	err := exportBatchRows(db.WithContext(ctx)).Limit(limit).Scan(&out).Error
	return out, err
}

// EachExportBatch calls fn with every batch, newest first as the page lists them, reading
// them one at a time from the database (an export of any size).
func EachExportBatch(ctx context.Context, db *gorm.DB, fn func(ExportBatchRow) error) (int, error) {
	return eachRow(exportBatchRows(db.WithContext(ctx)), fn)
}

// exportBatchRows is what the batch list reads of each batch, in its order.
func exportBatchRows(db *gorm.DB) *gorm.DB {
	return db.Table("export_batches b").Joins("JOIN users u ON u.id = b.created_by_id").
		Select("b.*, u.name AS created_by").Order("b.id DESC")
}

// GetExportBatch reads a batch.
func GetExportBatch(ctx context.Context, db *gorm.DB, id int64) (*ExportBatch, error) {
	var b ExportBatch
	err := db.WithContext(ctx).First(&b, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, outlay.NotFound("There is no such export batch.")
	}
	return &b, err
}

// BatchDocuments reads a batch's documents as the accounting files carry them: bills with
// their lines coded to GL accounts and departments, expense reports owed to their
// employees, paid runs, one document per vendor paid, and paid reimbursement batches, one
// document per report paid.
func BatchDocuments(ctx context.Context, db *gorm.DB, id int64) ([]accounting.Document, error) {
	tx := db.WithContext(ctx)
	ids := map[string][]int64{}
	var rows []ExportBatchDocument
	if err := tx.Where("batch_id = ?", id).Order("doc_type, doc_id").Find(&rows).Error; err != nil {
		return nil, err
	}
	for _, r := range rows {
		ids[r.DocType] = append(ids[r.DocType], r.DocID)
	}
	var out []accounting.Document
	bills, err := billDocuments(tx, ids[DocBill])
	if err != nil {
		return nil, err
	}
	expenses, err := expenseDocuments(tx, ids[DocExpense])
	if err != nil {
		return nil, err
	}
	payments, err := paymentDocuments(tx, ids[DocPayment])
	if err != nil {
		return nil, err
	}
	reimbursements, err := reimbursementDocuments(tx, ids[DocReimbursement])
	if err != nil {
		return nil, err
	}
	out = append(append(append(append(out, bills...), expenses...), payments...), reimbursements...)
	return out, nil
}

// exportLine is a line of a bill or an expense report, with its GL account and department.
type exportLine struct {
	DocID       int64
	Description string
	Quantity    int64
	UnitPrice   int64
	Net         int64
	Tax         int64
	GLCode      string
	GLName      string
	Department  string
}

func billDocuments(tx *gorm.DB, ids []int64) ([]accounting.Document, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var heads []struct {
		ID                                  int64
		Number, VendorInvoiceNumber, Vendor string
		VendorID                            int64
		InvoiceDate, DueDate                time.Time
		Currency, Memo                      string
		Terms                               int
	}
	if err := tx.Raw(`SELECT b.id, b.number, b.vendor_invoice_number, v.name AS vendor, v.id AS vendor_id, b.invoice_date, b.due_date,
			b.currency, b.memo, v.payment_terms_days AS terms
		FROM bills b JOIN vendors v ON v.id = b.vendor_id WHERE b.id IN ? ORDER BY b.id`, ids).Scan(&heads).Error; err != nil {
		return nil, err
	}
	var lines []exportLine
	if err := tx.Raw(`SELECT l.bill_id AS doc_id, l.description, l.quantity_milli AS quantity, l.unit_price_minor AS unit_price,
			l.amount_minor AS net, l.tax_minor AS tax, COALESCE(g.code, pg.code, '') AS gl_code, COALESCE(g.name, pg.name, '') AS gl_name,
			COALESCE(d.name, '') AS department
		FROM bill_lines l
		LEFT JOIN purchase_order_lines pol ON pol.id = l.purchase_order_line_id
		LEFT JOIN gl_accounts g ON g.id = l.gl_account_id
		LEFT JOIN gl_accounts pg ON pg.id = pol.gl_account_id
		LEFT JOIN departments d ON d.id = l.department_id
		WHERE l.bill_id IN ? ORDER BY l.bill_id, l.position`, ids).Scan(&lines).Error; err != nil {
		return nil, err
	}
	byDoc := linesByDoc(lines)
	out := make([]accounting.Document, len(heads))
	for i, h := range heads {
		out[i] = accounting.Document{Kind: accounting.KindBill, Number: h.Number, Reference: h.VendorInvoiceNumber, Party: h.Vendor,
			PartyID: "V" + strconv.FormatInt(h.VendorID, 10), Date: h.InvoiceDate, DueDate: h.DueDate, Currency: h.Currency,
			Terms: "Net " + strconv.Itoa(h.Terms), Memo: h.Memo, Lines: byDoc[h.ID]}
	}
	return out, nil
}

func expenseDocuments(tx *gorm.DB, ids []int64) ([]accounting.Document, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var heads []struct {
		ID                      int64
		Number, Owner, Currency string
		Title                   string
		Date                    time.Time
	}
	if err := tx.Raw(`SELECT r.id, COALESCE(r.number, '') AS number, u.name AS owner, r.currency, r.title,
			COALESCE(r.decided_at::date, r.created_at::date) AS date
		FROM expense_reports r JOIN users u ON u.id = r.owner_id WHERE r.id IN ? ORDER BY r.id`, ids).Scan(&heads).Error; err != nil {
		return nil, err
	}
	var rows []struct {
		DocID                        int64
		Description, GLCode, GLName  string
		Department                   string
		Net, LineTax                 int64
		LineCurrency, ReportCurrency string
		Rate                         money.Rate
		RateInverted                 bool
	}
	if err := tx.Raw(`SELECT l.report_id AS doc_id, COALESCE(NULLIF(l.merchant, ''), c.name, l.kind) AS description, l.report_minor AS net,
			COALESCE(g.code, '') AS gl_code, COALESCE(g.name, '') AS gl_name, COALESCE(d.name, '') AS department,
			l.tax_minor AS line_tax, l.currency AS line_currency, r.currency AS report_currency, l.rate, l.rate_inverted
		FROM expense_lines l JOIN expense_reports r ON r.id = l.report_id
		LEFT JOIN expense_categories c ON c.id = l.category_id
		LEFT JOIN gl_accounts g ON g.id = l.gl_account_id
		LEFT JOIN departments d ON d.id = r.department_id
		WHERE l.report_id IN ? ORDER BY l.report_id, l.position`, ids).Scan(&rows).Error; err != nil {
		return nil, err
	}
	// A line's amount includes its tax: the tax, in the report's currency at the line's rate
	// (as the amount was converted), is booked apart, so that recoverable tax is not lost in
	// the expense account.
	lines := make([]exportLine, len(rows))
	for i, r := range rows {
		lines[i] = exportLine{DocID: r.DocID, Description: r.Description, Net: r.Net, GLCode: r.GLCode, GLName: r.GLName, Department: r.Department}
		tax, err := ExpenseLine{TaxMinor: r.LineTax, Currency: r.LineCurrency, Rate: r.Rate, RateInverted: r.RateInverted, ReportMinor: r.Net}.TaxIn(r.ReportCurrency)
		if err != nil {
			return nil, err
		}
		lines[i].Tax, lines[i].Net = tax, lines[i].Net-tax
	}
	byDoc := linesByDoc(lines)
	out := make([]accounting.Document, len(heads))
	for i, h := range heads {
		out[i] = accounting.Document{Kind: accounting.KindReimbursement, Number: h.Number, Party: h.Owner, Date: h.Date, DueDate: h.Date,
			Currency: h.Currency, Memo: h.Title, Lines: byDoc[h.ID]}
	}
	return out, nil
}

func paymentDocuments(tx *gorm.DB, ids []int64) ([]accounting.Document, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var runs []PaymentRun
	if err := tx.Where("id IN ?", ids).Find(&runs).Error; err != nil {
		return nil, err
	}
	byID := make(map[int64]PaymentRun, len(runs))
	for _, r := range runs {
		byID[r.ID] = r
	}
	all, err := paymentLineRows(tx, ids...)
	if err != nil {
		return nil, err
	}
	linesOf := make(map[int64][]PaymentLineRow, len(ids))
	for _, l := range all {
		linesOf[l.PaymentRunID] = append(linesOf[l.PaymentRunID], l)
	}
	var out []accounting.Document
	for _, id := range ids {
		r, ok := byID[id]
		if !ok {
			return nil, gorm.ErrRecordNotFound
		}
		lines := linesOf[id]
		paidOn := r.PayOn
		if r.PaidOn != nil {
			paidOn = *r.PaidOn
		}
		for _, vp := range groupByVendor(lines) {
			d := accounting.Document{Kind: accounting.KindPayment, Number: r.Number, Reference: r.Reference, Party: vp.VendorName,
				PartyID: "V" + strconv.FormatInt(vp.VendorID, 10), Date: paidOn, Currency: r.Currency}
			for _, l := range vp.Lines {
				d.Lines = append(d.Lines, accounting.Line{Description: l.InvoiceNumber, Net: l.AmountMinor})
			}
			out = append(out, d)
		}
	}
	return out, nil
}

// reimbursementDocuments reads paid reimbursement batches as payments to employees: one per
// report, of what it paid (the report's total less the advances netted against it).
func reimbursementDocuments(tx *gorm.DB, ids []int64) ([]accounting.Document, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var rows []struct {
		Number, Reference, Report, Owner, Currency, Method string
		PaidOn                                             time.Time
		TotalMinor, AdvanceMinor                           int64
	}
	if err := tx.Raw(`SELECT b.number, b.reference, COALESCE(r.number, '') AS report, u.name AS owner, r.currency, b.paid_on,
			COALESCE(b.method, '') AS method, r.total_minor, r.advance_minor
		FROM reimbursement_batches b JOIN expense_reports r ON r.reimbursement_batch_id = b.id JOIN users u ON u.id = r.owner_id
		WHERE b.id IN ? AND b.status = ? ORDER BY b.id, u.name, r.number, r.id`, ids, BatchPaid).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]accounting.Document, len(rows))
	for i, r := range rows {
		what := r.Report
		if r.AdvanceMinor != 0 {
			what += " less advance " + money.Money{Minor: r.AdvanceMinor, Currency: r.Currency}.Plain()
		}
		out[i] = accounting.Document{Kind: accounting.KindReimbursementPayment, Number: r.Number, Reference: r.Reference, Party: r.Owner,
			Date: r.PaidOn, Currency: r.Currency, Lines: []accounting.Line{{Description: what, Net: r.TotalMinor - r.AdvanceMinor}},
			Advance: r.AdvanceMinor, ViaPayroll: r.Method == PayPayroll}
	}
	return out, nil
}

func linesByDoc(lines []exportLine) map[int64][]accounting.Line {
	out := map[int64][]accounting.Line{}
	for _, l := range lines {
		out[l.DocID] = append(out[l.DocID], accounting.Line{Account: l.GLCode, AccountName: l.GLName, Department: l.Department,
			Description: l.Description, Quantity: money.Quantity(l.Quantity), UnitPrice: l.UnitPrice, Net: l.Net, Tax: l.Tax})
	}
	return out
}

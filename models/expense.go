package models

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"outlay"
	"outlay/money"
	"outlay/policy"
)

// DocExpense is the kind of expense reports, as the registry names it.
const DocExpense = outlay.DocExpense

// Expense report statuses, as the vocabulary names them (package outlay).
const (
	ExpenseDraft     = outlay.ExpenseDraft
	ExpenseSubmitted = outlay.ExpenseSubmitted
	ExpenseApproved  = outlay.ExpenseApproved
	ExpenseReturned  = outlay.ExpenseReturned
	ExpenseWithdrawn = outlay.ExpenseWithdrawn
	ExpenseScheduled = outlay.ExpenseScheduled
	ExpensePaid      = outlay.ExpensePaid
)

// openExpenseStatuses are an owner's reports not yet paid back.
// ErrNoSuchExpense answers for a report that does not exist or that the person may not see
// or, for what only its owner may do, may not change: as far as they can tell, it is not there.
var ErrNoSuchExpense = outlay.NotFound("That expense report does not exist.")

var openExpenseStatuses = []string{ExpenseDraft, ExpenseSubmitted, ExpenseReturned, ExpenseWithdrawn, ExpenseApproved, ExpenseScheduled}

// Kinds of expense lines.
const (
	LineExpense = "expense"  // something bought: a meal, a taxi, a hotel night
	LineMileage = "mileage"  // a trip in the person's own vehicle, priced at the mileage rate
	LinePerDiem = "per_diem" // days away, at the destination's daily rate
)

// Distance units of mileage.
const (
	UnitKm   = "km"
	UnitMile = "mi"
)

// Category limits apply per line or per day.
const (
	LimitPerLine = "line"
	LimitPerDay  = "day"
)

// ExpenseReport is a person's claim for what they spent: a header and its lines.
type ExpenseReport struct {
	ID           int64
	Number       *string // taken at first submit
	OwnerID      int64
	DepartmentID *int64
	Title        string
	Purpose      string
	PeriodFrom   *time.Time
	PeriodTo     *time.Time
	Currency     string
	TotalMinor   int64
	Status       string
	SubmittedAt  *time.Time
	DecidedAt    *time.Time
	PaidAt       *time.Time
	// The approved trip the report was started from, if any.
	TravelRequestID *int64
	// The batch that schedules or paid the report, and the cash advances netted against it.
	ReimbursementBatchID *int64
	AdvanceMinor         int64
	// Who sent the approved report back to its owner, when and why (SendBackExpense).
	SentBackByID   *int64
	SentBackAt     *time.Time
	SentBackReason *string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Lines          []ExpenseLine `gorm:"-"`
	// FormKey is the key of the new-report form that created it: posted again, that form
	// finds this report instead of making another.
	FormKey *string
}

// TaxIn is the part of the line's amount in the report's currency (reportCurrency) that is
// tax: its tax converted at its rate, as its amount was; never more than the line.
func (l ExpenseLine) TaxIn(reportCurrency string) (int64, error) {
	if l.TaxMinor <= 0 {
		return 0, nil
	}
	tax, err := l.ToReport(money.Money{Minor: l.TaxMinor, Currency: l.Currency}, reportCurrency)
	if err != nil {
		return 0, err
	}
	return min(tax.Minor, l.ReportMinor), nil
}

// ToReport converts m, in the line's currency, into reportCurrency at the line's rate, the
// way round the rate was written, rounding once (money.Convert).
func (l ExpenseLine) ToReport(m money.Money, reportCurrency string) (money.Money, error) {
	if l.RateInverted {
		return money.ConvertPer(m, l.Rate, reportCurrency)
	}
	return money.Convert(m, l.Rate, reportCurrency)
}

// RateText is the line's rate as it was written, naming its currencies: "0.0000393 USD per
// VND", or the other way round "25450 VND per USD".
func (l ExpenseLine) RateText(reportCurrency string) string {
	if l.RateInverted {
		return fmt.Sprintf("%s %s per %s", l.Rate, l.Currency, reportCurrency)
	}
	return fmt.Sprintf("%s %s per %s", l.Rate, reportCurrency, l.Currency)
}

// Total is the report's total in its currency.
func (r ExpenseReport) Total() money.Money {
	return money.Money{Minor: r.TotalMinor, Currency: r.Currency}
}

// Editable reports whether the owner may still change the report.
func (r ExpenseReport) Editable() bool {
	return r.Status == ExpenseDraft || r.Status == ExpenseReturned || r.Status == ExpenseWithdrawn
}

// Advance is what cash advances took off the report.
func (r ExpenseReport) Advance() money.Money {
	return money.Money{Minor: r.AdvanceMinor, Currency: r.Currency}
}

// Reimbursable is what the owner is paid back: the total less the advances netted against
// it (never below zero: an advance larger than the report stays outstanding for the next).
func (r ExpenseReport) Reimbursable() money.Money {
	return money.Money{Minor: r.TotalMinor - r.AdvanceMinor, Currency: r.Currency}
}

// ExpenseLine is one claimed item of a report.
type ExpenseLine struct {
	ID            int64
	ReportID      int64
	Position      int
	Kind          string
	SpentOn       time.Time
	CategoryID    int64
	GLAccountID   *int64 `gorm:"column:gl_account_id"`
	Merchant      string
	Note          string
	Justification string
	AmountMinor   int64 // in Currency, tax included
	TaxMinor      int64
	Currency      string
	// Rate is the exchange rate exactly as typed: units of the report's currency per unit of
	// Currency, or when RateInverted units of Currency per unit of the report's currency.
	Rate          money.Rate
	RateInverted  bool
	ReportMinor   int64 // in the report's currency
	OverLimit     bool
	ReceiptID     *int64
	FromPlace     string
	ToPlace       string
	DistanceMilli *money.Quantity
	Unit          *string
	MileageRateID *int64
	Days          *int
	PerDiemRateID *int64
	UnitRate      *int64
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Amount is the line's amount in its own currency.
func (l ExpenseLine) Amount() money.Money {
	return money.Money{Minor: l.AmountMinor, Currency: l.Currency}
}

// ExpenseCategory is a kind of expense the admin sets, booked to a GL account, with an
// optional limit per line or per day.
type ExpenseCategory struct {
	ID          int64
	Name        string
	GLAccountID int64 `gorm:"column:gl_account_id"`
	LimitMinor  *int64
	LimitPer    *string
	Currency    string
	// TripCost is the trip estimate category (CostAirfare…) the category counts towards; nil
	// counts by the line's kind (tripCostOf).
	TripCost   *string
	ArchivedAt *time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// MileageRate is the organisation's price per km or mile from a day on.
type MileageRate struct {
	ID            int64
	Unit          string
	EffectiveFrom time.Time
	RateMilli     int64 // thousandths of a minor unit per unit
	Currency      string
	ArchivedAt    *time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// PerDiemRate is a daily allowance for a destination.
type PerDiemRate struct {
	ID          int64
	Destination string
	DailyMinor  int64
	Currency    string
	ArchivedAt  *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// expenseApproval lets the approval engine route expense reports.
type expenseApproval struct{}

func (expenseApproval) approvalDocument(tx *gorm.DB, id int64) (ApprovalDocument, error) {
	var r ExpenseReport
	if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).First(&r, id).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return ApprovalDocument{}, ErrNoSuchExpense
		}
		return ApprovalDocument{}, err
	}
	var lines []ExpenseLine
	if err := tx.Where("report_id = ?", id).Order("position").Find(&lines).Error; err != nil {
		return ApprovalDocument{}, err
	}
	doc := ApprovalDocument{Type: DocExpense, ID: r.ID, RequesterID: r.OwnerID, DepartmentID: r.DepartmentID, Total: r.Total()}
	if r.Number != nil {
		doc.Number = *r.Number
	}
	for _, l := range lines {
		doc.Lines = append(doc.Lines, ApprovalLine{GLAccountID: l.GLAccountID, Amount: l.ReportMinor})
	}
	return doc, nil
}

func (expenseApproval) finish(tx *gorm.DB, id int64, outcome string, at time.Time) error {
	if err := finishDecided(tx, &ExpenseReport{ID: id}, outcome, at, ExpenseSubmitted, ExpenseApproved, ExpenseReturned, "expense report"); err != nil {
		return err
	}
	if outcome != StepRejected {
		// An approved report is what follows a trip: it nets the owner's outstanding advances.
		return netAdvances(tx, id)
	}
	return nil
}

// expenseBudgetUse: approved and scheduled reports commit their lines from the day they
// were approved; paid reports have spent them.
func expenseBudgetUse(tx *gorm.DB, ids []int64, doc ApprovalDocument) ([]BudgetUse, error) {
	var self int64 // the report being checked counts as itself
	if doc.Type == DocExpense {
		self = doc.ID
	}
	var out []BudgetUse
	err := tx.Raw(`SELECT b.id AS budget_id, r.id AS doc_id, COALESCE(r.number, '') AS number, r.status,
			CASE WHEN r.status = @paid THEN SUM(l.report_minor) ELSE 0 END AS spent,
			CASE WHEN r.status = @paid THEN 0 ELSE SUM(l.report_minor) END AS committed
		FROM budgets b
		JOIN expense_reports r ON r.department_id = b.department_id AND r.currency = b.currency
		JOIN expense_lines l ON l.report_id = r.id AND l.gl_account_id = b.gl_account_id
		WHERE b.id IN @ids AND r.status IN @counted AND r.decided_at::date BETWEEN b.period_start AND b.period_end AND r.id <> @self
		GROUP BY b.id, r.id ORDER BY b.id, r.id`,
		map[string]any{"ids": ids, "paid": ExpensePaid, "counted": []string{ExpenseApproved, ExpenseScheduled, ExpensePaid}, "self": self}).
		Scan(&out).Error
	for i := range out {
		out[i].DocType = DocExpense
	}
	return out, err
}

// expenseDetails lists a report's lines for its approver: each with its GL account, its
// receipt and what the approver should look at (over the limit, possibly a duplicate).
func expenseDetails(tx *gorm.DB, id int64) ([]DetailLine, error) {
	lines, err := expenseLineDetails(tx, id)
	if err != nil {
		return nil, err
	}
	out := make([]DetailLine, len(lines))
	for i, l := range lines {
		notes := l.Flags()
		if l.Currency != l.ReportCurrency {
			// The rate is the person's own: the approver reads what was spent and at what rate.
			notes = append(notes, fmt.Sprintf("Spent %s, converted at %s", l.Amount(), l.RateText(l.ReportCurrency)))
		}
		// The line's tax apart, as on a requisition: the amount before it, and its rate.
		tax, err := l.TaxIn(l.ReportCurrency)
		if err != nil {
			return nil, err
		}
		net := l.ReportMinor - tax
		var rate int
		if net > 0 && tax > 0 {
			rate = int((tax*10000*2 + net) / (net * 2))
		}
		out[i] = DetailLine{GLCode: l.GLCode, RequisitionLine: RequisitionLine{ID: l.ID, Position: l.Position, GLAccountID: l.GLAccountID,
			Description: l.Describe(), QuantityMilli: 1000, UnitPriceMinor: net, AmountMinor: net, TaxMinor: tax, TaxRateBP: rate},
			ReceiptID: l.ReceiptID, ReceiptType: l.ReceiptType, Notes: notes}
	}
	return out, nil
}

// ExpenseLineDetail is a stored line with the names pages show and its flags.
type ExpenseLineDetail struct {
	ExpenseLine
	CategoryName string
	GLCode       string
	ReceiptType  string // the receipt's content type, "" without one
	ReceiptName  string
	// Duplicates names the person's other lines of the same date, merchant and amount.
	Duplicates []string `gorm:"-"`
	// LimitText says the category's limit when the line is over it.
	LimitText string `gorm:"-"`
	// NotCompared: the line is marked over the limit because it could not be compared with
	// it (neither it nor its report is in the limit's currency).
	NotCompared bool `gorm:"-"`
	// ReportCurrency is the currency of the line's report.
	ReportCurrency string
}

// Uncompared reports whether the line's amount could not be compared with its category's
// limit: neither it nor its report is in the limit's currency.
func (l ExpenseLineDetail) uncompared(c ExpenseCategory) bool {
	return c.Currency != l.ReportCurrency && c.Currency != l.Currency
}

// Describe says what the line is in a few words: "Taxi · Hotel Adlon" or "Mileage: Berlin
// → Potsdam, 42 km".
func (l ExpenseLineDetail) Describe() string {
	switch l.Kind {
	case LineMileage:
		d := ""
		if l.DistanceMilli != nil && l.Unit != nil {
			d = ", " + l.DistanceMilli.String() + " " + *l.Unit
		}
		return l.CategoryName + ": " + l.FromPlace + " → " + l.ToPlace + d
	case LinePerDiem:
		days := 0
		if l.Days != nil {
			days = *l.Days
		}
		return l.CategoryName + ": " + l.Merchant + ", " + pluralDays(days)
	}
	if l.Merchant == "" {
		return l.CategoryName
	}
	return l.CategoryName + " · " + l.Merchant
}

func pluralDays(n int) string {
	if n == 1 {
		return "1 day"
	}
	return strconv.Itoa(n) + " days"
}

// Flags are what an approver should look at on the line.
func (l ExpenseLineDetail) Flags() []string {
	var out []string
	if l.OverLimit {
		text := "Over the category's limit"
		if l.LimitText != "" {
			text += " (" + l.LimitText + ")"
		}
		if l.NotCompared {
			text = "Not compared with the category's limit (" + l.LimitText + "): the report is in " + l.ReportCurrency
			if l.Currency != l.ReportCurrency {
				text += " and the line in " + l.Currency
			}
			if l.Justification != "" {
				text += ". Why: “" + l.Justification + "”"
			}
		} else if l.Justification != "" {
			text += ": “" + l.Justification + "”"
		}
		out = append(out, text)
	}
	for _, d := range l.Duplicates {
		out = append(out, "Possible duplicate of "+d)
	}
	return out
}

// expenseLineDetails reads a report's lines with their names, limits and duplicates.
func expenseLineDetails(tx *gorm.DB, id int64) ([]ExpenseLineDetail, error) {
	var lines []ExpenseLineDetail
	err := tx.Table("expense_lines l").Where("l.report_id = ?", id).
		Select(`l.*, c.name AS category_name, COALESCE(g.code, '') AS gl_code, COALESCE(a.content_type, '') AS receipt_type,
			COALESCE(a.filename, '') AS receipt_name, r.currency AS report_currency`).
		Joins("JOIN expense_reports r ON r.id = l.report_id").
		Joins("JOIN expense_categories c ON c.id = l.category_id").
		Joins("LEFT JOIN gl_accounts g ON g.id = l.gl_account_id").
		Joins("LEFT JOIN attachments a ON a.id = l.receipt_id AND a.deleted_at IS NULL").
		Order("l.position").Scan(&lines).Error
	if err != nil {
		return nil, err
	}
	dups, err := expenseDuplicates(tx, id)
	if err != nil {
		return nil, err
	}
	var cats []ExpenseCategory
	if err := tx.Where("id IN (SELECT category_id FROM expense_lines WHERE report_id = ?)", id).Find(&cats).Error; err != nil {
		return nil, err
	}
	// One receipt on several lines of the report is one spend claimed more than once.
	byReceipt := map[int64][]int{}
	for i, l := range lines {
		if l.ReceiptID != nil {
			byReceipt[*l.ReceiptID] = append(byReceipt[*l.ReceiptID], i)
		}
	}
	for i := range lines {
		lines[i].Duplicates = dups[lines[i].ID]
		if lines[i].ReceiptID != nil {
			for _, j := range byReceipt[*lines[i].ReceiptID] {
				if j != i {
					lines[i].Duplicates = append(lines[i].Duplicates, fmt.Sprintf("line %d (the same receipt)", j+1))
				}
			}
		}
		for _, c := range cats {
			if c.ID == lines[i].CategoryID && lines[i].OverLimit {
				lines[i].LimitText = c.LimitText()
				lines[i].NotCompared = lines[i].uncompared(c)
			}
		}
	}
	return lines, nil
}

// LimitText says a category's limit: "$75.00 a day"; "" without one.
func (c ExpenseCategory) LimitText() string {
	if c.LimitMinor == nil || c.LimitPer == nil {
		return ""
	}
	per := " a line"
	if *c.LimitPer == LimitPerDay {
		per = " a day"
	}
	return money.Money{Minor: *c.LimitMinor, Currency: c.Currency}.String() + per
}

// expenseDuplicates finds, for each expense line of report id, the same person's other lines
// (in any of their reports) of the same date, merchant (in any case and spacing) and amount
// in the same currency, named "EXP-000012 line 2" (a draft as "Draft #7 line 2").
func expenseDuplicates(tx *gorm.DB, id int64) (map[int64][]string, error) {
	var rows []struct {
		LineID int64
		Name   string
	}
	// Expenses of the same day, merchant and amount; and per diem for days another per diem
	// of the person's already claims (a trip claimed again once its first report was paid).
	err := tx.Raw(`SELECT line_id, name FROM (
		SELECT l.id AS line_id, r2.id AS report_id, l2.position, COALESCE(r2.number, 'Draft #' || r2.id) || ' line ' || l2.position AS name
		FROM expense_lines l
		JOIN expense_reports r ON r.id = l.report_id
		JOIN expense_reports r2 ON r2.owner_id = r.owner_id
		JOIN expense_lines l2 ON l2.report_id = r2.id AND l2.id <> l.id AND l2.kind = 'expense'
			AND l2.spent_on = l.spent_on AND l2.amount_minor = l.amount_minor AND l2.currency = l.currency
			AND lower(btrim(l2.merchant)) = lower(btrim(l.merchant))
		WHERE l.report_id = ? AND l.kind = 'expense' AND btrim(l.merchant) <> ''
		UNION ALL
		SELECT l.id, r2.id, l2.position, COALESCE(r2.number, 'Draft #' || r2.id) || ' line ' || l2.position || ' (per diem for the same days)'
		FROM expense_lines l
		JOIN expense_reports r ON r.id = l.report_id
		JOIN expense_reports r2 ON r2.owner_id = r.owner_id
		JOIN expense_lines l2 ON l2.report_id = r2.id AND l2.id <> l.id AND l2.kind = 'per_diem'
			AND l2.spent_on < l.spent_on + COALESCE(l.days, 1) AND l.spent_on < l2.spent_on + COALESCE(l2.days, 1)
		WHERE l.report_id = ? AND l.kind = 'per_diem'
		) d ORDER BY line_id, report_id, position`, id, id).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	out := map[int64][]string{}
	for _, r := range rows {
		out[r.LineID] = append(out[r.LineID], r.Name)
	}
	return out, nil
}

// ExpenseDuplicates is expenseDuplicates for callers outside the package (tests and pages).
func ExpenseDuplicates(ctx context.Context, db *gorm.DB, id int64) (map[int64][]string, error) {
	return expenseDuplicates(db.WithContext(ctx), id)
}

// expenseKind is the registry's entry for expense reports (documentKinds).
var expenseKind = &DocumentKind{
	Kind:         mustKind(outlay.DocExpense),
	Table:        "expense_reports",
	Read:         policy.Permission{Object: outlay.ObjExpenses, Action: outlay.ActRead},
	Visibility:   VisibleToOwnerAndRoute,
	SeeAll:       policy.Permission{Object: outlay.ObjExpensesAll, Action: outlay.ActRead},
	OwnerColumn:  "owner_id",
	DraftStatus:  ExpenseDraft,
	OpenStatuses: openExpenseStatuses,
	Approval:     expenseApproval{},
	Queue: QueueColumns{
		Number: "COALESCE(d.number, '')", Requester: "d.owner_id", Department: "d.department_id",
		Counterparty: "d.title", Summary: "d.purpose", Currency: "d.currency", Total: "d.total_minor", SubmittedAt: "d.submitted_at",
	},
	Details: expenseDetails,
	Budget:  expenseBudgetUse,
	// Approved and scheduled reports commit their lines; paid ones have spent them.
	Committed: &CommittedSpend{From: "expense_reports r JOIN expense_lines l ON l.report_id = r.id",
		Where: "r.status IN ('" + ExpenseApproved + "', '" + ExpenseScheduled + "')", Department: "r.department_id",
		Vendor: "NULL::bigint", GLAccount: "l.gl_account_id", At: "r.decided_at", Currency: "r.currency", Amount: "l.report_minor"},
	// Paid ones spent them on the day their batch says it paid them (in the organisation's
	// zone), which may be before the day the batch was marked paid.
	Spent: &CommittedSpend{From: `expense_reports r JOIN expense_lines l ON l.report_id = r.id
			LEFT JOIN reimbursement_batches rb ON rb.id = r.reimbursement_batch_id`,
		Where: "r.status = '" + ExpensePaid + "'", Department: "r.department_id",
		Vendor: "NULL::bigint", GLAccount: "l.gl_account_id", At: "COALESCE(rb.paid_on::timestamp AT TIME ZONE @tz, r.paid_at)",
		Currency: "r.currency", Amount: "l.report_minor"},
	History: DocumentHistory{LinesTable: "expense_lines", LinesKey: "report_id",
		LineDescription: `CASE kind WHEN 'mileage' THEN from_place || ' → ' || to_place ELSE merchant END`,
		NameSQL:         "SELECT id, coalesce(number, 'Draft #' || id) AS name, currency FROM expense_reports WHERE id = ANY(?)"},
}

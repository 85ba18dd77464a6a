package handlers

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"outlay"
	"outlay/audit"
	"outlay/bankfile"
	"outlay/models"
	"outlay/money"
	"outlay/policy"
	"outlay/sheet"
	"outlay/views"
	"outlay/views/expenses"
)

// The permissions of reimbursement batches: see them (read), schedule reports (create), take
// reports out and mark batches paid (update), and download their files (export).
var (
	reimburseCreate = policy.Permission{Object: outlay.ObjReimbursements, Action: outlay.ActCreate}
	reimburseUpdate = policy.Permission{Object: outlay.ObjReimbursements, Action: outlay.ActUpdate}
	reimburseExport = policy.Permission{Object: outlay.ObjReimbursements, Action: outlay.ActExport}
)

// maxNewBatchRows is how many approved reports the new batch page offers at once.
const maxNewBatchRows = 200

// reimbursementsPage lists the batches, the newest first, with a search and pages.
func (s *Server) reimbursementsPage(c *fiber.Ctx) error {
	ctx, db := c.UserContext(), tenantDB(c)
	q, pageNo := listQuery(c)
	list, err := fetchPage(&pageNo, expenses.BatchesPerPage, func(offset int) (models.BatchList, error) {
		return models.ListReimbursementBatches(ctx, db, q, offset, expenses.BatchesPerPage)
	}, func(l models.BatchList) (int, int) { return len(l.Rows), l.Total })
	if err != nil {
		return err
	}
	url := func(p int) string { return views.ListURL(expenses.ReimbursementsPath, p, [2]string{"q", q}) }
	l := expenses.BatchList{Q: q, Total: list.Total, CanCreate: s.can(c, reimburseCreate), ExportURL: exportURL(c, expenses.ReimbursementsPath),
		Pager: views.Pagination{Page: pageNo, PerPage: expenses.BatchesPerPage, Total: list.Total, URL: url, Target: expenses.ReimbursementsID}}
	if l.CanCreate {
		if _, l.Ready, err = models.ReimbursableReports(ctx, db, 0, currentUser(c).UserID); err != nil {
			return err
		}
	}
	for _, b := range list.Rows {
		row := expenses.BatchRow{ID: b.ID, Number: b.Number, Status: b.Status, Reports: b.Reports, Created: formatDate(&b.CreatedAt)}
		for _, t := range b.Totals {
			row.Totals = append(row.Totals, t.String())
		}
		if b.PaidOn != nil && b.Method != nil {
			row.Paid = formatDate(b.PaidOn) + " · " + models.ReimbursementMethodLabel(*b.Method)
		}
		l.Rows = append(l.Rows, row)
	}
	p := page{Title: "Reimbursements", Nav: expenses.ReimbursementsPath, Content: expenses.BatchesPage(l),
		Partials: partials{expenses.ReimbursementsID: expenses.BatchResults(l)}, PushURL: url(pageNo)}
	return s.render(c, http.StatusOK, p)
}

// reimbursementExport exports the reimbursement batches the list's search matches: a row per
// batch and currency, with the net amount the batch pays in it.
var reimbursementExport = &listExport{name: "reimbursements",
	columns: cols("id", "ID", "number", "Number", "status", "Status", "reports", "Reports", "currency", "Currency", "net", "Net to pay",
		"paid_on", "Paid on", "method", "Method", "created_at", "Created"),
	rows: func(s *Server, c *fiber.Ctx) (rowStream, error) {
		ctx, db := c.UserContext(), tenantDB(c)
		q, _ := listQuery(c)
		return func(emit func(...any) error) (int, error) {
			return models.EachReimbursementBatch(ctx, db, q, func(r models.BatchCurrencyRow) error {
				method := ""
				if r.Method != nil {
					method = models.ReimbursementMethodLabel(*r.Method)
				}
				return emit(r.ID, r.Number, expenses.BatchStatusLabel(r.Status), r.Reports, r.Currency, amount(r.NetMinor, r.Currency),
					r.PaidOn, method, r.CreatedAt)
			})
		}, nil
	},
}

// batchLine is a report as reimbursement pages list it.
func batchLine(r models.BatchReport) expenses.BatchLine {
	l := expenses.BatchLine{ID: r.ID, Number: r.Number, Title: r.Title, Href: expenses.Path(r.ID), Owner: r.OwnerName,
		Email: r.OwnerEmail, Total: r.Total().String(), Net: r.Net().String(), Currency: r.Currency, NoAccount: !r.HasBankAccount,
		Approved: formatDate(r.DecidedAt),
		InFile:   r.InBankFile()}
	if r.AdvanceMinor > 0 {
		l.Advance = r.Advance().String()
	}
	return l
}

func (s *Server) newReimbursementPage(c *fiber.Ctx) error {
	return s.renderNewBatch(c, http.StatusOK, nil, nil, nil)
}

// renderNewBatch offers the approved reports waiting for a batch, those in chosen ticked,
// with the form's errs. The ticked reports the list no longer offers (sent back, or put in
// another batch, since the form was read) come first, still ticked, each refused report
// with why beside it.
func (s *Server) renderNewBatch(c *fiber.Ctx, status int, chosen []int64, errs views.FieldErrors, refusal *models.BatchRefusal) error {
	ctx, db := c.UserContext(), tenantDB(c)
	offered, total, err := models.ReimbursableReports(ctx, db, maxNewBatchRows, currentUser(c).UserID)
	if err != nil {
		return err
	}
	var gone []int64
	for _, id := range chosen {
		if !slices.ContainsFunc(offered, func(r models.BatchReport) bool { return r.ID == id }) {
			gone = append(gone, id)
		}
	}
	ticked, err := models.TickedReports(ctx, db, s.viewer(c), gone)
	if err != nil {
		return err
	}
	n := expenses.NewBatch{CSRF: s.csrfToken(c), More: total - len(offered), Errors: errs}
	for _, r := range append(ticked, offered...) {
		l := batchLine(r)
		l.IsSelected = slices.Contains(chosen, r.ID)
		n.Lines = append(n.Lines, l)
	}
	if refusal != nil {
		n.Errors = batchRefusalErrors(refusal, n.Lines, len(chosen))
	}
	return s.render(c, status, page{Title: "New reimbursement batch", Nav: expenses.ReimbursementsPath, Content: expenses.NewBatchPage(n),
		Partials: partials{expenses.NewBatchID: expenses.NewBatchForm(n)}})
}

// batchRefusalErrors puts why each refused report cannot go in a batch beside its line, and
// above the form what was refused of the ticked reports (one the form does not show, which
// the clerk may no longer see, with its reason there).
func batchRefusalErrors(refusal *models.BatchRefusal, lines []expenses.BatchLine, ticked int) views.FieldErrors {
	errs := views.FieldErrors{}
	var names, unshown []string
	for _, r := range refusal.Reports {
		names = append(names, r.Number)
		if i := slices.IndexFunc(lines, func(l expenses.BatchLine) bool { return l.ID == r.ID }); i >= 0 {
			lines[i].Refused = r.Reason
			errs[expenses.ReportField(r.ID)] = r.Reason
		} else {
			unshown = append(unshown, r.Number+": "+r.Reason)
		}
	}
	it, beside := "them", "each"
	if len(names) == 1 {
		it, beside = "it", "it"
	}
	msg := "Nothing was scheduled: " + outlay.List(names, "and") + " cannot go in a batch now"
	if len(unshown) < len(names) {
		msg += "; the reason is beside " + beside
	}
	msg += "."
	switch others := ticked - len(names); {
	case others == 1:
		msg += " Untick " + it + " to schedule the other report."
	case others > 1:
		msg += " Untick " + it + " to schedule the other " + outlay.Count(others) + " reports."
	}
	if len(unshown) > 0 {
		msg += " " + strings.Join(unshown, " ")
	}
	errs[""] = msg
	return errs
}

// reportIDs reads the reports ticked in the form; anything that is not an id is dropped (a
// tampered form finds nothing).
func reportIDs(c *fiber.Ctx) []int64 {
	var post struct {
		Reports []string `form:"report"`
	}
	bindForm(c, &post)
	var ids []int64
	for _, v := range post.Reports {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil && id > 0 {
			ids = append(ids, id)
		}
	}
	return ids
}

// createReimbursement schedules the ticked reports in a new batch. A refusal shows the form
// again with every tick kept, what was refused above it and, beside each report that cannot
// go in (sent back or put in another batch since the form was read), why.
func (s *Server) createReimbursement(c *fiber.Ctx) error {
	ids := reportIDs(c)
	b, err := models.CreateReimbursementBatch(c.UserContext(), tenantDB(c), currentUser(c).UserID, ids)
	var refusal *models.BatchRefusal
	if errors.As(err, &refusal) {
		return s.renderNewBatch(c, http.StatusUnprocessableEntity, ids, nil, refusal)
	}
	if verr, ok := outlay.AsValidation(err); ok {
		return s.renderNewBatch(c, http.StatusUnprocessableEntity, ids, verr, nil)
	}
	if err != nil {
		return err
	}
	s.setFlash(c, "success", fmt.Sprintf("%s schedules %s for payment.", b.Number, views.Plural(len(ids), "report", "reports")))
	return redirect(c, expenses.BatchPath(b.ID))
}

// batchFromPath reads the batch the path names.
func (s *Server) batchFromPath(c *fiber.Ctx) (*models.BatchDetail, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return nil, err
	}
	return models.GetReimbursementBatch(c.UserContext(), tenantDB(c), id)
}

func (s *Server) reimbursementPage(c *fiber.Ctx) error {
	d, err := s.batchFromPath(c)
	if err != nil {
		return err
	}
	return s.renderBatch(c, http.StatusOK, d, expenses.PayForm{PaidOn: time.Now().UTC().Format(models.DateLayout)})
}

// renderBatch shows batch d with the mark-paid form as typed.
func (s *Server) renderBatch(c *fiber.Ctx, status int, d *models.BatchDetail, pay expenses.PayForm) error {
	b := expenses.Batch{ID: d.ID, CSRF: s.csrfToken(c), Number: d.Number, Status: d.Status, CreatedBy: d.CreatedByName,
		Created: formatDate(&d.CreatedAt), Missing: d.MissingBankAccounts(bankfile.SEPACurrency), CanUpdate: s.can(c, reimburseUpdate),
		CanExport: s.can(c, reimburseExport), Pay: pay}
	if b.Pay.Errors == nil {
		b.Pay.Errors = views.FieldErrors{}
	}
	for _, m := range models.ReimbursementMethods {
		b.Pay.Methods = append(b.Pay.Methods, expenses.Option{Value: m, Label: models.UpperFirst(models.ReimbursementMethodLabel(m))})
	}
	for _, r := range d.Reports {
		l := batchLine(r)
		l.CanRemove = d.Status == models.BatchScheduled
		b.Lines = append(b.Lines, l)
		b.HasEuro = b.HasEuro || r.Currency == bankfile.SEPACurrency
	}
	for _, t := range d.Totals {
		b.Totals = append(b.Totals, expenses.Fact{Label: t.Currency, Value: t.String()})
	}
	b.FileMade = fileMadeText(d.FileMade, d.FileMadeByName)
	if d.Status == models.BatchPaid && d.Method != nil {
		b.Paid = []expenses.Fact{{Label: "Paid on", Value: formatDate(d.PaidOn)},
			{Label: "Paid by", Value: models.UpperFirst(models.ReimbursementMethodLabel(*d.Method))},
			{Label: "Reference", Value: d.Reference}, {Label: "Recorded by", Value: d.PaidByName + ", " + formatMoment(d.PaidAt)}}
	}
	return s.render(c, status, page{Title: "Reimbursement batch " + d.Number, Nav: expenses.ReimbursementsPath, Content: expenses.BatchPage(b)})
}

// removeFromReimbursement takes one report out of an unpaid batch.
func (s *Server) removeFromReimbursement(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var post struct {
		Report string `form:"report"`
	}
	bindForm(c, &post)
	reportID, err := strconv.ParseInt(post.Report, 10, 64)
	if err != nil {
		return outlay.NotFound("That report is not in this batch.")
	}
	r, err := models.RemoveFromBatch(c.UserContext(), tenantDB(c), id, reportID, c.FormValue(models.FileNotPaid) == "yes")
	if errors.Is(err, outlay.ErrConflict) {
		s.setFlash(c, "error", err.Error())
		return redirect(c, expenses.BatchPath(id))
	}
	if err != nil {
		return err
	}
	s.setFlash(c, "success", fmt.Sprintf("%s is out of the batch and approved again.", strOr(r.Number)))
	return redirect(c, expenses.BatchPath(id))
}

// markReimbursementPaid records the batch's payment; a refusal shows the batch again with
// each message beside its field.
func (s *Server) markReimbursementPaid(c *fiber.Ctx) error {
	d, err := s.batchFromPath(c)
	if err != nil {
		return err
	}
	var in models.BatchPaymentInput
	bindForm(c, &in)
	_, err = models.MarkBatchPaid(c.UserContext(), tenantDB(c), currentUser(c).UserID, d.ID, in, time.Now().UTC().Truncate(24*time.Hour))
	return s.answerMarkPaid(c, err, func(errs views.FieldErrors) error {
		// A refusal of the batch as a whole (no reports left in it) is the form's own
		// message; the others are beside their fields, and the form says so above them.
		if msg, ok := errs["batch"]; ok {
			delete(errs, "batch")
			errs[""] = msg
		}
		markRefused(errs, errs)
		return s.renderBatch(c, http.StatusUnprocessableEntity, d, expenses.PayForm{PaidOn: in.PaidOn, Method: in.Method,
			Reference: in.Reference, Errors: errs})
	}, fmt.Sprintf("%s is paid: %s paid, and their owners are told.", d.Number, views.Plural(len(d.Reports), "report", "reports")),
		expenses.BatchPath(d.ID))
}

// reimbursementCSV is the batch for the AP clerk's records: a row per report with the person,
// the amounts and the account it is paid into, masked (the full IBAN goes only into the
// bank's file). Cells a spreadsheet would run as formulas are neutralised.
func (s *Server) reimbursementCSV(c *fiber.Ctx) error {
	d, err := s.batchFromPath(c)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	buf.WriteString(sheet.BOM)
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"Batch", "Report", "Title", "Person", "Email", "Currency", "Total", "Advance deducted", "Amount to pay",
		"Account holder", "IBAN", "BIC", "Status"})
	accounts, err := s.batchBankAccounts(c, d)
	if err != nil {
		return err
	}
	for _, r := range d.Reports {
		acct := accounts[r.OwnerID]
		holder, iban, bic := "", "none", ""
		if acct != nil {
			holder, iban, bic = acct.Holder, acct.IBAN.Masked(), acct.BIC
		}
		row := []string{d.Number, r.Number, r.Title, r.OwnerName, r.OwnerEmail, r.Currency, r.Total().Plain(), r.Advance().Plain(),
			r.Net().Plain(), holder, iban, bic, r.Status}
		for i := range row {
			row[i] = sheet.Neutralise(row[i])
		}
		_ = w.Write(row)
	}
	w.Flush()
	if err := audit.Event(c.UserContext(), tenantDB(c), "export", "reimbursement batch "+d.Number, map[string]any{"format": "csv"}); err != nil {
		return err
	}
	return sendDownload(c, "text/csv; charset=utf-8", d.Number+".csv", buf.Bytes())
}

// reimbursementPain001 is the SEPA credit-transfer file of the batch's euro reports, paid
// from the organisation's account to each person's. It is refused, with the reason as a
// message on the batch's page, while the organisation's account is not set or anyone paid
// in euros keeps no bank account (they are named).
func (s *Server) reimbursementPain001(c *fiber.Ctx) error {
	d, err := s.batchFromPath(c)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	var transfers int
	var unwritable error
	err = models.MakeBatchFile(c.UserContext(), tenantDB(c), d.ID, d.Number, currentUser(c).UserID, func(msgID string, made time.Time) error {
		// The batch as it stands under its lock: a report taken out meanwhile is not in it.
		fresh, err := models.GetReimbursementBatch(c.UserContext(), tenantDB(c), d.ID)
		if err != nil {
			return err
		}
		file, err := s.batchTransfers(c, fresh)
		if err != nil {
			return err
		}
		file.MessageID, file.CreatedAt, transfers = msgID, made, len(file.Transfers)
		unwritable = bankfile.WritePain001(&buf, file)
		var tooLarge *bankfile.TransferTooLargeError
		if errors.As(unwritable, &tooLarge) {
			unwritable = nil
			return batchTransferTooLarge(fresh, tooLarge)
		}
		return unwritable
	})
	switch {
	case unwritable != nil:
		s.setFlash(c, "error", "The SEPA file could not be made: "+unwritable.Error())
		return redirect(c, expenses.BatchPath(d.ID))
	case errors.Is(err, outlay.ErrConflict):
		s.setFlash(c, "error", err.Error())
		return redirect(c, expenses.BatchPath(d.ID))
	case err != nil:
		return err
	}
	if err := audit.Event(c.UserContext(), tenantDB(c), "export", "reimbursement batch "+d.Number,
		map[string]any{"format": "pain.001.001.03", "transfers": transfers}); err != nil {
		return err
	}
	return sendDownload(c, "application/xml", d.Number+"-pain001.xml", buf.Bytes())
}

// batchTransfers gathers the credit transfers of batch d's euro reports that pay something.
func (s *Server) batchTransfers(c *fiber.Ctx, d *models.BatchDetail) (bankfile.CreditTransfers, error) {
	ctx, db := c.UserContext(), tenantDB(c)
	if missing := d.MissingBankAccounts(bankfile.SEPACurrency); len(missing) > 0 {
		who := strings.Join(missing, ", ") + " has no bank account on their profile. Ask them to add one"
		if len(missing) > 1 {
			who = strings.Join(missing, ", ") + " have no bank account on their profiles. Ask them to add one each"
		}
		return bankfile.CreditTransfers{}, outlay.Conflict("The SEPA file cannot be made: " + who +
			" under Bank account, or take their reports out of the batch.")
	}
	debtor, err := models.GetOrgBankAccount(ctx, db, s.personalBank)
	if err != nil {
		return bankfile.CreditTransfers{}, err
	}
	if debtor == nil {
		return bankfile.CreditTransfers{}, outlay.Conflict("The SEPA file cannot be made: set the organisation's bank account first, under Settings.")
	}
	now := time.Now().UTC()
	file := bankfile.CreditTransfers{CreatedAt: now, ExecutionDate: now,
		Initiator: tenantOf(c).Name, Debtor: bankfile.Account{Name: debtor.Holder, IBAN: debtor.IBAN, BIC: debtor.BIC}}
	accounts, err := s.batchBankAccounts(c, d)
	if err != nil {
		return file, err
	}
	for _, r := range d.Reports {
		if !r.InBankFile() {
			continue
		}
		acct := accounts[r.OwnerID]
		file.Transfers = append(file.Transfers, bankfile.Transfer{EndToEndID: r.Number, Amount: r.Net(),
			Creditor:   bankfile.Account{Name: acct.Holder, IBAN: acct.IBAN, BIC: acct.BIC},
			Remittance: "Expense report " + r.Number + " " + r.Title})
	}
	if len(file.Transfers) == 0 {
		return file, outlay.Conflict("The SEPA file cannot be made: no report in euros is left to pay in this batch.")
	}
	return file, nil
}

// batchTransferTooLarge is the refusal of a batch's SEPA file whose transfer tooLarge, of one
// report (its end-to-end id is the report's number), is above the SEPA limit: it names the
// person and the report, and how the batch is paid instead. A new batch takes such a report
// only alone, to be paid by another method; one made before that was refused is paid by its
// file once the report is taken out.
func batchTransferTooLarge(d *models.BatchDetail, tooLarge *bankfile.TransferTooLargeError) error {
	payee, number := tooLarge.Transfer.Creditor.Name, tooLarge.Transfer.EndToEndID
	for _, r := range d.Reports {
		if r.Number == number {
			payee = r.OwnerName
		}
	}
	remedy := "Take report " + number + " out of this batch and pay it in a batch of its own by another method, such as a cheque; then make this file again."
	if len(d.Reports) == 1 {
		remedy = "Pay this batch by another method, such as a cheque, and mark it paid."
	}
	return models.SEPALimitRefusal("SEPA file", tooLarge, payee+" (expense report "+number+")", remedy)
}

// batchBankAccounts opens, in one query, the bank accounts of the people the batch pays.
func (s *Server) batchBankAccounts(c *fiber.Ctx, d *models.BatchDetail) (map[int64]*models.BankDetails, error) {
	var owners []int64
	for _, r := range d.Reports {
		if r.HasBankAccount {
			owners = append(owners, r.OwnerID)
		}
	}
	if len(owners) == 0 {
		return nil, nil
	}
	return models.GetBankAccounts(c.UserContext(), tenantDB(c), s.personalBank, owners)
}

// expenseSettlement is what an approved report's page says of its payment: its total, the
// advances it nets (with their trips), what is paid back, and the batch that pays it. A
// report not yet approved has none.
func (s *Server) expenseSettlement(c *fiber.Ctx, d *models.ExpenseDetail) (*expenses.Settlement, error) {
	switch d.Status {
	case models.ExpenseApproved, models.ExpenseScheduled, models.ExpensePaid:
	default:
		return nil, nil
	}
	ctx, db := c.UserContext(), tenantDB(c)
	st := &expenses.Settlement{Total: d.Total().String(), Reimburse: d.Reimbursable().String()}
	if d.AdvanceMinor > 0 {
		st.Advance = d.Advance().String()
		nets, err := models.ExpenseAdvances(ctx, db, d.ID)
		if err != nil {
			return nil, err
		}
		for _, n := range nets {
			st.Trips = append(st.Trips, fmt.Sprintf("%s: %s of its cash advance", n.TripNumber,
				money.Money{Minor: n.AmountMinor, Currency: d.Currency}))
		}
	}
	b, err := models.ExpenseBatch(ctx, db, d.ID)
	if err != nil || b == nil {
		return st, err
	}
	st.Batch = b.Number + ", scheduled for payment"
	if b.Status == models.BatchPaid && b.Method != nil {
		st.Batch = fmt.Sprintf("%s, paid on %s by %s (reference %s)", b.Number, formatDate(b.PaidOn),
			models.ReimbursementMethodLabel(*b.Method), b.Reference)
	}
	if s.can(c, policy.Permission{Object: outlay.ObjReimbursements, Action: outlay.ActRead}) {
		st.BatchHref = expenses.BatchPath(b.ID)
	}
	return st, nil
}

// withdrawExpense pulls the owner's report out of approval.
func (s *Server) withdrawExpense(c *fiber.Ctx) error { return expenseFlow.withdrawDraft(s, c) }
